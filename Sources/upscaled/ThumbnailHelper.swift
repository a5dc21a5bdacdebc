import ArgumentParser
import Glibc
import SystemPackage
import UpscaledEngines
import UpscaledLinux

extension Upscaled {
    /// `upscaled thumbnail-helper`: the process the daemon's page has its previews made in
    /// (see `Thumbnailer`). Not for people: hidden from the help.
    struct ThumbnailHelper: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "thumbnail-helper", shouldDisplay: false)

        /// Each request on stdin is `SOURCE\0CACHE-FILE\0`; each answer on stdout is `ok` or
        /// `error REASON`, one line. It leaves at the end of its input, or after a minute idle.
        func run() throws {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
            lowerCurrentThreadPriority()
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                var ready = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, 60_000) > 0 else { return }            // a minute idle: leave
                let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return }
                pending += buffer[..<n]
                while let first = pending.firstIndex(of: 0),
                      let second = pending[(first + 1)...].firstIndex(of: 0) {
                    let source = FilePath(platformString: Array(pending[..<first]).map { CChar(bitPattern: $0) } + [0])
                    let target = FilePath(platformString: Array(pending[(first + 1)..<second]).map { CChar(bitPattern: $0) } + [0])
                    pending.removeSubrange(...second)
                    answer(Self.make(source, into: target))
                }
            }
        }

        static func make(_ source: FilePath, into target: FilePath) -> String {
            do {
                let bytes = try Thumbnailer.render(source)
                try FileOperations.writeAtomically(bytes, to: target, durable: false)
                return "ok"
            } catch {
                return "error \(String(describing: error).split(separator: "\n").joined(separator: " "))"
            }
        }

        func answer(_ line: String) {
            let bytes = Array((line + "\n").utf8)
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
                if n <= 0 { if errno == EINTR { continue }; Glibc.exit(0) }
                sent += n
            }
        }
    }
}

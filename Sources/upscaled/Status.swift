import ArgumentParser
import Foundation
import SystemPackage
import UpscaledCore
import UpscaledDaemon
import UpscaledLinux

extension Upscaled {
    /// `upscaled status`: what a running daemon is doing, from the status file it keeps.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show what the running daemon is doing.")

        @OptionGroup var options: SharedOptions

        @Flag(help: "Print the status as JSON, for scripts.")
        var json = false

        func run() throws {
            let loader = ConfigLoader(explicitPath: options.config.map { FilePath($0) }, overrides: options.overrides())
            let config: DaemonConfig
            do { config = try loader.load() } catch {
                Logging.fail("upscaled: \(error)")
                throw ExitCode(78)
            }
            let bytes: [UInt8]
            do { bytes = try FileOperations.readAll(config.statusFile) } catch {
                // Several daemons on one root each write their own status: name the others.
                let hosts = FolderLayout(config: config).otherHostIDs()
                let others = hosts.isEmpty ? "" : "; other hosts on this root: \(hosts.joined(separator: ", ")) (see one with --host-id)"
                Logging.fail("upscaled: no status at \(config.statusFile.display) (\(error)); is the daemon running as host \(config.hostID) with root \(config.root.display)?\(others)")
                throw ExitCode(3)
            }
            guard let snapshot = try? JSONDecoder().decode(StatusSnapshot.self, from: Data(bytes)) else {
                Logging.fail("upscaled: the status file \(config.statusFile.display) is not readable JSON")
                throw ExitCode(1)
            }
            let alive = kill(snapshot.pid, 0) == 0 || errno == EPERM
            if json {
                print(String(decoding: bytes, as: UTF8.self), terminator: "")
                return
            }
            print("""
                upscaled \(alive && snapshot.state != .stopped ? "running" : "not running") (pid \(snapshot.pid)) as host \(config.hostID), root \(config.root.display)
                  state:       \(snapshot.state.rawValue)\(alive || snapshot.state == .stopped ? "" : " (stale: the process is gone)")
                  mode:        \(snapshot.mode)
                  engine:      \(snapshot.engine) \(snapshot.target)
                  queued:      \(snapshot.queued)
                  in flight:   \(snapshot.inFlight)
                  done:        \(snapshot.done)
                  failed:      \(snapshot.failed)
                  quarantined: \(snapshot.quarantined)
                  overflows:   \(snapshot.overflows)
                  progress:    \(snapshot.progress.map { $0.map { "\($0.file) \($0.done)/\($0.total) tiles" }.joined(separator: ", ") } ?? "none")
                  last error:  \(snapshot.lastError ?? "none")
                  since:       \(snapshot.startedAt), updated \(snapshot.updatedAt)
                """)
            let others = Self.otherHosts(config)
            if !others.isEmpty {
                // Their pids mean nothing here (other machines): what each last wrote, and when.
                print("other hosts on this root (as they last wrote their status):")
                for (host, other) in others {
                    print("  \(host): \(other.state.rawValue), \(other.queued) queued, \(other.inFlight) in flight, done \(other.done), failed \(other.failed); updated \(other.updatedAt)")
                }
            }
            if !alive && snapshot.state != .stopped { throw ExitCode(3) }
        }

        /// The status each other host on the root keeps in its own folder, by host id.
        static func otherHosts(_ config: DaemonConfig) -> [(String, StatusSnapshot)] {
            let layout = FolderLayout(config: config)
            return layout.otherHostIDs().compactMap { host in
                guard let bytes = try? FileOperations.readAll(layout.ofHost(host).statusFile),
                      let snapshot = try? JSONDecoder().decode(StatusSnapshot.self, from: Data(bytes)) else { return nil }
                return (host, snapshot)
            }
        }
    }
}

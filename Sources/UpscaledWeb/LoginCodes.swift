import Foundation
import SystemPackage
import UpscaledDaemon
import UpscaledLinux

/// One-time login codes: `upscaled web` makes one (a file named by 128 random bits in this
/// host's private state folder), the page's login form spends it (the file is removed: only
/// one request can succeed) and sets the session cookie. A code lives ten minutes.
public struct LoginCodes: Sendable {
    public let directory: FilePath
    public static let lifetime: Double = 600

    public init(layout: FolderLayout) {
        directory = layout.hostFolder.appending("web-logins")
    }

    /// A new code, written where the daemon finds it. Blocking.
    public func make() throws(SystemCallError) -> String {
        try FileOperations.makeDirectories(directory, mode: 0o700)
        sweepExpired()
        let code = WebToken.randomHex(bytes: 16)
        try FileOperations.writeAtomically([], to: directory.appending(code))
        return code
    }

    /// Spends `code`: true exactly once, for a well-formed code made less than ten minutes ago.
    public func spend(_ code: String) -> Bool {
        guard code.count == 32, code.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return false }
        let file = directory.appending(code)
        guard let status = try? FileOperations.statusIfPresent(file), status.kind == .regular else { return false }
        // The unlink is the test: of two requests with one code, one removes it.
        guard unlink(file.string) == 0 else { return false }
        return Date().timeIntervalSince1970 - status.modified < Self.lifetime
    }

    /// Codes never used are removed once they have expired.
    func sweepExpired() {
        let now = Date().timeIntervalSince1970
        for entry in (try? FileOperations.listDirectory(directory)) ?? [] {
            let file = directory.appending(entry.name)
            if let status = try? FileOperations.statusIfPresent(file), now - status.modified > Self.lifetime {
                try? FileOperations.removeIfPresent(file)
            }
        }
    }
}

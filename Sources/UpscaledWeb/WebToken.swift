import Crypto
import Foundation
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// The secret every request to the page needs (`web.token_file`): made on first start with
/// mode 0600, as Jupyter does, since loopback is open to every local user.
public struct WebToken: Sendable {
    public let value: String
    public let file: FilePath

    /// What a session cookie holds: an HMAC of the token, so a cookie never carries the token
    /// and a new token ends every session.
    public var sessionValue: String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("upscaled-session-v1".utf8), using: SymmetricKey(data: Array(value.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Reads the token, or makes one (32 random bytes, hex) if the file does not exist yet.
    /// Blocking: call it off the cooperative pool.
    public static func loadOrCreate(_ file: FilePath) throws(WebTokenError) -> WebToken {
        if let token = try read(file) { return token }
        let directory = file.removingLastComponent()
        do {
            try FileOperations.makeDirectories(directory, mode: 0o700)
            let temp = try TempFile.create(in: directory, mode: 0o600)
            var committed = false
            defer { temp.close(committed: committed) }
            try temp.write(Array((randomHex(bytes: 32) + "\n").utf8))
            try temp.sync()
            committed = try temp.commit(as: file)
        } catch {
            throw WebTokenError(file: file, problem: "cannot create it: \(error)")
        }
        // Another process may have made it first: theirs is the token.
        guard let token = try read(file) else { throw WebTokenError(file: file, problem: "it vanished right after it was made") }
        return token
    }

    /// The token in `file`; nil when there is no such file.
    public static func read(_ file: FilePath) throws(WebTokenError) -> WebToken? {
        let bytes: [UInt8]
        do { bytes = try FileOperations.readAll(file, limit: 4096) } catch {
            if error.errno == .noSuchFileOrDirectory { return nil }
            throw WebTokenError(file: file, problem: "cannot read it: \(error)")
        }
        let value = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard value.count >= 16, value.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw WebTokenError(file: file, problem: "it must hold one token of at least 16 printable ASCII characters; delete it to get a new one")
        }
        return WebToken(value: value, file: file)
    }

    /// Whether users other than the owner can read the file (then the log warns).
    public var readableByOthers: Bool {
        var info = stat()
        return lstat(file.string, &info) == 0 && info.st_mode & 0o077 != 0
    }

    static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

/// The token file cannot be used; the daemon runs on without its page.
public struct WebTokenError: Error, Sendable, CustomStringConvertible {
    public var file: FilePath
    public var problem: String
    public var description: String { "the page's token file \(file.display): \(problem)" }
}

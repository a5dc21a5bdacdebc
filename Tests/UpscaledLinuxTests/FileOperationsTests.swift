import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledLinux
import UpscaledTestSupport

@Suite struct FileOperationsTests {
    /// What the place did wrong pauses the pipeline (the file goes back); what the file did wrong
    /// fails it. A share that went away (NFS re-exported: ESTALE; SMB server gone) is the place.
    @Test func theErrorsOfAPlaceAreNotTheFilesFault() {
        for code in [ENOSPC, EROFS, EACCES, EDQUOT, ESTALE, ENOTCONN, EHOSTDOWN, ETIMEDOUT, ENOLINK] {
            #expect(SystemCallError("open", path: "/mnt/up/inbox/a.png", errno: code).isEnvironmental, "errno \(code)")
        }
        for code in [ENOENT, EISDIR, ELOOP, ENAMETOOLONG, EINVAL] {
            #expect(!SystemCallError("open", errno: code).isEnvironmental, "errno \(code)")
        }
        let gone = SystemCallError("rename", path: "/mnt/up/inbox/a.png", errno: ESTALE)
        #expect(gone.description.contains("/mnt/up/inbox/a.png") && gone.description.contains("network share"))
    }

    @Test func renameNeverReplaces() throws {
        let temp = TempDirectory()
        try writeFile(temp.appending("a"), [1])
        try writeFile(temp.appending("b"), [2])
        #expect(try FileOperations.renameNoReplace(temp.appending("a"), to: temp.appending("b")) == false)
        #expect(try readFile(temp.appending("b")) == [2])
        #expect(try FileOperations.renameNoReplace(temp.appending("a"), to: temp.appending("c")) == true)
        #expect(try readFile(temp.appending("c")) == [1])
        #expect(!exists(temp.appending("a")))
    }

    @Test func aTempFileIsInvisibleUntilCommittedAndNeverOverwrites() throws {
        let temp = TempDirectory()
        let file = try TempFile.create(in: temp.path)
        try file.write(Array("result".utf8))
        try file.sync()
        #expect(listFiles(temp.path, includeHidden: true).isEmpty)     // nothing a user could see
        try writeFile(temp.appending("taken.png"), [9])
        #expect(try file.commit(as: temp.appending("taken.png")) == false)
        #expect(try readFile(temp.appending("taken.png")) == [9])
        #expect(try file.commit(as: temp.appending("free.png")) == true)
        file.close(committed: true)
        #expect(try readFile(temp.appending("free.png")) == Array("result".utf8))
        #expect(listFiles(temp.path, includeHidden: true) == ["free.png", "taken.png"])
    }

    @Test func anUncommittedTempFileLeavesNothing() throws {
        let temp = TempDirectory()
        let file = try TempFile.create(in: temp.path)
        try file.write([1, 2, 3])
        file.close(committed: false)
        #expect(listFiles(temp.path, includeHidden: true).isEmpty)
    }

    @Test func statusNeverFollowsSymlinks() throws {
        let temp = TempDirectory()
        #expect(symlink("/etc/passwd", temp.appending("link").string) == 0)
        #expect(try FileOperations.status(temp.appending("link")).kind == .symlink)
        #expect(throws: SystemCallError.self) { _ = try FileOperations.readHead(temp.appending("link"), count: 8) }
        #expect(mkfifo(temp.appending("fifo").string, 0o600) == 0)
        #expect(try FileOperations.status(temp.appending("fifo")).kind == .other("a FIFO"))
    }

    @Test func namesAreBytes() throws {
        let temp = TempDirectory()
        let raw: [UInt8] = Array("bad-".utf8) + [0xFF, 0xFE] + Array(".png".utf8)
        let path = temp.path.appending(FilePath.Component(bytes: raw)!)
        try FileOperations.writeAtomically([1], to: path)
        let entries = try FileOperations.listDirectory(temp.path)
        #expect(entries.map { $0.name.bytes } == [raw])
        #expect(try FileOperations.readAll(path) == [1])
    }

    @Test func errorsSayTheCallThePathAndWhatToDo() {
        do {
            try FileOperations.makeDirectories("/proc/upscaled-cannot-exist")
            Issue.record("mkdir in /proc succeeded")
        } catch {
            #expect(error.description.contains("/proc/upscaled-cannot-exist"))
            #expect(error.description.contains("mkdir"))
        }
    }
}

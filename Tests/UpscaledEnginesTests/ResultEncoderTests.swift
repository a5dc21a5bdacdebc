import Glibc
import SystemPackage
import Testing
import UpscaledCore
@testable import UpscaledEngines
import UpscaledTestSupport

/// Where a failed encode puts the blame: on the place when a write into the result failed (told
/// by its errno, whatever language libvips' message is in), on the input otherwise.
@Suite struct ResultEncoderTests {
    func failure(writingTo fd: CInt) throws -> UpscaleFailure? {
        try VipsRuntime.start()
        let temp = TempDirectory()
        let path = temp.appending("in.png")
        try ImageFactory.write(path, width: 300, height: 200)
        let image = try VipsImageRef.open(path, sequential: true)
        let request = UpscaleRequest(input: path, displayName: "in.png", inputFormat: .png, outputFormat: .png,
                                     target: .scale(2))
        do throws(VipsError) {
            try ResultEncoder.save(image, as: .png, settings: LocalEngineSettings(config: DaemonConfig(root: "/unused")), fd: fd)
            return nil
        } catch {
            return ResultEncoder.failure(error, request: request)
        }
    }

    @Test func aFullDiskIsToldByItsErrnoNotByLibvipsText() throws {
        let full = open("/dev/full", O_WRONLY | O_CLOEXEC)           // every write: ENOSPC
        try #require(full >= 0)
        defer { close(full) }
        let failure = try #require(try failure(writingTo: full))
        #expect(failure.code == .diskFull && failure.disposition == .retryLater, "\(failure)")
        #expect(failure.details["errno"] == "\(ENOSPC)")
    }

    @Test func anotherWriteErrorIsThePlacesFaultToo() throws {
        let temp = TempDirectory()
        let path = temp.appending("read-only")
        try writeFile(path, [])
        let readOnly = open(path.string, O_RDONLY | O_CLOEXEC)        // every write: EBADF
        try #require(readOnly >= 0)
        defer { close(readOnly) }
        let failure = try #require(try failure(writingTo: readOnly))
        #expect(failure.code == .writeFailed && failure.disposition == .retryLater, "\(failure)")
    }

    @Test func aWritableDescriptorGetsTheWholeResult() throws {
        let temp = TempDirectory()
        let path = temp.appending("out.png")
        let fd = open(path.string, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        #expect(try failure(writingTo: fd) == nil)
        close(fd)
        #expect(try ImageFactory.info(path).width == 300)
    }
}

import CUpscaledVips

/// An error reported by libvips, read with `vips_error_buffer_copy()` because the plain buffer is
/// process-global and races between worker threads.
public struct VipsError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The errno of a write(2) into the result that failed (a full disk: ENOSPC), when that is
    /// what failed; nil when libvips failed for another reason (an input that does not decode).
    public var writeErrno: CInt?

    public init(_ message: String, writeErrno: CInt? = nil) {
        self.message = message
        self.writeErrno = writeErrno
    }

    /// Takes (and clears) the calling thread's pending libvips error text.
    public static func last(_ fallback: String = "libvips failed without a message") -> VipsError {
        guard let copy = upscaled_vips_error_copy() else { return VipsError(fallback) }
        defer { upscaled_free(copy) }
        let text = String(cString: copy).split(separator: "\n").map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
        return VipsError(text.isEmpty ? fallback : text.joined(separator: "; "))
    }

    public var description: String { message }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

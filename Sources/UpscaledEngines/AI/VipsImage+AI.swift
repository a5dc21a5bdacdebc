import CUpscaledVips

/// The libvips steps around the network: to 8-bit RGB and back, alpha apart and joined again.
extension VipsImageRef {
    var interpretation: VipsInterpretation { upscaled_vips_interpretation(raw) }
    var isSixteenBit: Bool { upscaled_vips_format(raw) == VIPS_FORMAT_USHORT }
    var isGrey: Bool { interpretation == VIPS_INTERPRETATION_B_W || interpretation == VIPS_INTERPRETATION_GREY16 }

    func bands(from first: Int, count: Int) throws(VipsError) -> VipsImageRef {
        try derive("extract_band") { upscaled_vips_extract_bands($0, $1, CInt(first), CInt(count)) }
    }
    func rgb8() throws(VipsError) -> VipsImageRef { try derive("colourspace to sRGB") { upscaled_vips_to_rgb8($0, $1) } }
    func colourspace(_ space: VipsInterpretation) throws(VipsError) -> VipsImageRef {
        try derive("colourspace") { upscaled_vips_colourspace($0, $1, space) }
    }
    func eightBit() throws(VipsError) -> VipsImageRef { try derive("cast") { upscaled_vips_to_uchar($0, $1) } }
    func joined(with other: VipsImageRef) throws(VipsError) -> VipsImageRef {
        try derive("bandjoin") { upscaled_vips_bandjoin2($0, other.raw, $1) }
    }
    func resized(toWidth width: Int, height: Int) throws(VipsError) -> VipsImageRef {
        try derive("resize") { upscaled_vips_resize_to($0, $1, CInt(width), CInt(height)) }
    }

    /// The image decoded whole into memory, for reading more than once.
    func inMemory() throws(VipsError) -> VipsImageRef {
        guard let copy = upscaled_vips_copy_memory(raw) else { throw VipsError.last("decoding failed") }
        return VipsImageRef(OpaquePointer(copy))
    }

    /// Decodes the whole image into packed pixels (for the network's input: 8-bit RGB).
    func pixels() throws(VipsError) -> [UInt8] {
        var length = 0
        guard let data = upscaled_vips_write_memory(raw, &length) else { throw VipsError.last("decoding failed") }
        defer { upscaled_free(data) }
        return Array(UnsafeRawBufferPointer(start: data, count: length))
    }

    /// The lazy output image whose pixels `source` makes as the encoder asks for them; header
    /// fields (ICC profile, EXIF, resolution) come from `metadata`.
    static func generated(by source: TiledUpscaleSource, metadata: VipsImageRef) throws(VipsError) -> VipsImageRef {
        let context = Unmanaged.passRetained(source).toOpaque()
        let image = upscaled_vips_generated_rgb(
            CInt(source.outputWidth), CInt(source.outputHeight), metadata.raw,
            { context, left, top, width, height, destination, stride in
                let source = Unmanaged<TiledUpscaleSource>.fromOpaque(context!).takeUnretainedValue()
                return source.fill(left: Int(left), top: Int(top), width: Int(width), height: Int(height),
                                   destination: destination, stride: stride) ? 0 : -1
            },
            context,
            { context in Unmanaged<TiledUpscaleSource>.fromOpaque(context!).release() })
        guard let image else { throw VipsError.last("cannot create the output image") }
        return VipsImageRef(OpaquePointer(image))
    }
}

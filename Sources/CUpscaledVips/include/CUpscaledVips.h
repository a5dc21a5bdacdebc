/* Non-variadic front doors to libvips for Swift (the product's; test-only helpers are in
 * CUpscaledTestShims, Linux calls in CUpscaledLinux). Every symbol is prefixed `upscaled_` so
 * none squats on libvips' names. */
#ifndef CUPSCALED_VIPS_H
#define CUPSCALED_VIPS_H

#include <stdint.h>
#include <stdbool.h>
#include <vips/vips.h>

/* ---- libvips ---- */

/** VIPS_INIT (a macro) plus the daemon-wide settings: untrusted loaders blocked, a small operation
 *  cache, `concurrency` worker threads per pipeline. Returns 0 on success. */
int upscaled_vips_start(const char *_Nonnull argv0, int concurrency);

/** Opens an image lazily (header only until pixels are needed).
 *  `sequential` selects VIPS_ACCESS_SEQUENTIAL; decoding errors are fatal (fail_on=error). */
VipsImage *_Nullable upscaled_vips_open(const char *_Nonnull path, bool sequential);

/** An int header field, or `fallback` when the image does not carry it. */
int upscaled_vips_get_int(VipsImage *_Nonnull image, const char *_Nonnull name, int fallback);
/** A string header field copied into `buffer` (NUL-terminated); false when absent. */
bool upscaled_vips_get_string(VipsImage *_Nonnull image, const char *_Nonnull name,
                              char *_Nonnull buffer, size_t size);
bool upscaled_vips_has_alpha(VipsImage *_Nonnull image);
int upscaled_vips_bands(VipsImage *_Nonnull image);

int upscaled_vips_autorot(VipsImage *_Nonnull in, VipsImage *_Nullable *_Nonnull out);
/** Enlarges by (hscale, vscale) with vips_resize. Note: for scale > 1 libvips 8.14 uses its
 *  bicubic interpolator whatever kernel is named; we name it bicubic. */
int upscaled_vips_resize(VipsImage *_Nonnull in, VipsImage *_Nullable *_Nonnull out,
                         double hscale, double vscale);
/** Flattens alpha onto white: for formats that cannot hold alpha (JPEG). */
int upscaled_vips_flatten_white(VipsImage *_Nonnull in, VipsImage *_Nullable *_Nonnull out);

/** Encoders writing to an open file descriptor (streamed: the image is never held whole). On
 *  failure, *write_errno is the errno of the write(2) that failed, or 0 if no write failed (the
 *  input did not decode, or the encoder itself failed). */
int upscaled_vips_save_png_fd(VipsImage *_Nonnull in, int fd, int compression, bool filter_all, int *_Nonnull write_errno);
int upscaled_vips_save_jpeg_fd(VipsImage *_Nonnull in, int fd, int quality, int *_Nonnull write_errno);
int upscaled_vips_save_webp_fd(VipsImage *_Nonnull in, int fd, int quality, bool lossless, int *_Nonnull write_errno);
/** Opens an image held in memory (the buffer must outlive the image). */
VipsImage *_Nullable upscaled_vips_open_buffer(const void *_Nonnull data, size_t length);
/** Encodes to a newly allocated buffer (free with upscaled_free): ".png", ".jpg[Q=90]", ".webp". */
int upscaled_vips_save_buffer(VipsImage *_Nonnull in, const char *_Nonnull suffix,
                              void *_Nullable *_Nonnull data, size_t *_Nonnull length);
/** Shrinks to exactly width x height (for fitting an input to an API's limits). */
int upscaled_vips_resize_to(VipsImage *_Nonnull in, VipsImage *_Nullable *_Nonnull out, int width, int height);
/** Any format libvips knows, chosen by `suffix` (".tif", ".gif", …); for tests and tools. */
int upscaled_vips_save_file(VipsImage *_Nonnull in, const char *_Nonnull path);
/** At most size x size, from the file at path, made with shrink-on-load; never enlarged. */
int upscaled_vips_thumbnail(const char *_Nonnull path, int size, VipsImage *_Nullable *_Nonnull out);

/** The length of a blob field, 0 when absent. */
size_t upscaled_vips_blob_length(VipsImage *_Nonnull image, const char *_Nonnull name);

/** The calling thread's last libvips error, copied (the global buffer races); free with g_free. */
char *_Nullable upscaled_vips_error_copy(void);
void upscaled_vips_unref(VipsImage *_Nullable image);
void upscaled_free(void *_Nullable pointer);

/* ---- libvips for the AI engine (ai_vips.c) ---- */

/** Fills `width`x`height` output pixels at (left, top) into `dst` (rows `stride` bytes apart).
 *  Returns 0, or -1 to fail the image (the callee says why on its own side). */
typedef int (*upscaled_fill_fn)(void *_Nullable context, int left, int top, int width, int height,
                                uint8_t *_Nonnull dst, size_t stride);
/** A lazy `width`x`height` 3-band 8-bit sRGB image whose pixels come from `fill`, asked for in
 *  full-width strips as a sequential saver pulls them (so the whole image never exists at once).
 *  Header fields (ICC profile, EXIF, resolution) are copied from `metadata`. `release(context)`
 *  runs once when the image is freed. NULL on failure (and `release` has run). */
VipsImage *_Nullable upscaled_vips_generated_rgb(int width, int height, VipsImage *_Nonnull metadata,
                                                  upscaled_fill_fn _Nonnull fill, void *_Nullable context,
                                                  void (*_Nonnull release)(void *_Nullable context));
VipsInterpretation upscaled_vips_interpretation(VipsImage *_Nonnull image);
VipsBandFormat upscaled_vips_format(VipsImage *_Nonnull image);
int upscaled_vips_extract_bands(VipsImage *_Nonnull in, VipsImage *_Nullable *_Nonnull out, int first, int n);
/** To 3-band 8-bit sRGB for the network: grey is replicated, 16-bit shifted, CMYK/LAB converted. */
int upscaled_vips_to_rgb8(VipsImage *_Nonnull in, VipsImage *_Nullable *_Nonnull out);
int upscaled_vips_colourspace(VipsImage *_Nonnull in, VipsImage *_Nullable *_Nonnull out, VipsInterpretation space);
/** 16-bit to 8-bit by the top byte (for an alpha band joining an 8-bit result). */
int upscaled_vips_to_uchar(VipsImage *_Nonnull in, VipsImage *_Nullable *_Nonnull out);
int upscaled_vips_bandjoin2(VipsImage *_Nonnull a, VipsImage *_Nonnull b, VipsImage *_Nullable *_Nonnull out);
/** Decodes `in` whole into a new in-memory image. */
VipsImage *_Nullable upscaled_vips_copy_memory(VipsImage *_Nonnull in);
/** Decodes `in` whole into a new buffer (free with upscaled_free). */
void *_Nullable upscaled_vips_write_memory(VipsImage *_Nonnull in, size_t *_Nonnull length);

#endif

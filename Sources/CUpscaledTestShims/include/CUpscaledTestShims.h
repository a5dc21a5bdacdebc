/* Helpers for the tests only (generated pictures, pixel differences): never linked into the
 * product binary. */
#ifndef CUPSCALED_TEST_SHIMS_H
#define CUPSCALED_TEST_SHIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <vips/vips.h>

/** A deterministic test picture: smooth gradients plus texture, `bands` 1–8 (from the fifth on,
 *  the first four repeat), 8 or 16 bit. */
VipsImage *_Nullable upscaled_vips_test_pattern(int width, int height, int bands, bool sixteen_bit);
/** The test picture as 4-band CMYK. */
VipsImage *_Nullable upscaled_vips_cmyk_pattern(int width, int height);
/** A copy of `in` with an int field set (e.g. "orientation"). */
VipsImage *_Nullable upscaled_vips_with_int(VipsImage *_Nonnull in, const char *_Nonnull name, int value);
/** A copy of `in` with a blob field set (e.g. "icc-profile-data", "exif-data"). */
VipsImage *_Nullable upscaled_vips_with_blob(VipsImage *_Nonnull in, const char *_Nonnull name,
                                             const void *_Nonnull data, size_t length);
/** Average absolute difference per sample between two same-sized images (for quality checks). */
int upscaled_vips_mean_abs_diff(VipsImage *_Nonnull a, VipsImage *_Nonnull b, double *_Nonnull out);
/** The largest absolute difference of any sample between two same-sized images (for tests). */
int upscaled_vips_max_abs_diff(VipsImage *_Nonnull a, VipsImage *_Nonnull b, double *_Nonnull out);
/** A rectangle of `in` (for tests). */
int upscaled_vips_crop(VipsImage *_Nonnull in, VipsImage *_Nullable *_Nonnull out, int left, int top, int width, int height);
/** Fine detail of an image: the mean absolute difference between its luminance and a Gaussian
 *  blur of it (sigma 1). Blurry enlargements score low; for quality tests. */
int upscaled_vips_detail(VipsImage *_Nonnull in, double *_Nonnull out);
/** Shrinks with vips_resize and Lanczos3 (round trips in quality tests). */
int upscaled_vips_shrink(VipsImage *_Nonnull in, VipsImage *_Nullable *_Nonnull out, double scale);

#endif

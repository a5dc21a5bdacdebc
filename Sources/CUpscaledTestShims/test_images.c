/* Test pictures and comparisons, for UpscaledTestSupport only. */
#include "CUpscaledTestShims.h"

VipsImage *upscaled_vips_test_pattern(int width, int height, int bands, bool sixteen_bit) {
    VipsImage *t[8] = {0};
    VipsImage *result = NULL;
    VipsObject *scope = VIPS_OBJECT(vips_image_new());
    /* x gradient, y gradient, and a deterministic texture (sum of sines via xyz) */
    if (vips_xyz(&t[0], width, height, NULL)) goto done;               /* 2 bands: x, y */
    if (vips_extract_band(t[0], &t[1], 0, NULL)) goto done;
    if (vips_extract_band(t[0], &t[2], 1, NULL)) goto done;
    double gx = 255.0 / (width > 1 ? width - 1 : 1), gy = 255.0 / (height > 1 ? height - 1 : 1);
    if (vips_linear1(t[1], &t[3], gx, 0, NULL)) goto done;
    if (vips_linear1(t[2], &t[4], gy, 0, NULL)) goto done;
    if (vips_math(t[1], &t[5], VIPS_OPERATION_MATH_SIN, NULL)) goto done;  /* degrees: slow waves */
    {
        VipsImage *ch[4] = {t[3], t[4], NULL, NULL};
        VipsImage *mix = NULL, *wave = NULL, *alpha = NULL;
        if (vips_linear1(t[5], &wave, 60, 128, NULL)) goto done;
        vips_object_local(scope, wave);
        if (vips_add(t[3], t[4], &mix, NULL)) goto done;
        vips_object_local(scope, mix);
        if (vips_linear1(mix, &alpha, 0.5, 0, NULL)) goto done;
        vips_object_local(scope, alpha);
        ch[2] = wave; ch[3] = alpha;
        VipsImage *joined = NULL;
        if (bands < 1 || bands > 8) goto done;
        if (bands == 1 || bands == 2) {
            VipsImage *grey[2] = {wave, t[3]};
            if (vips_bandjoin(grey, &joined, bands, NULL)) goto done;
        } else {
            VipsImage *all[8];
            for (int i = 0; i < bands; i++) all[i] = ch[i % 4];
            if (vips_bandjoin(all, &joined, bands, NULL)) goto done;
        }
        vips_object_local(scope, joined);
        VipsImage *cast = NULL;
        if (sixteen_bit) {
            VipsImage *wide = NULL;
            if (vips_linear1(joined, &wide, 257, 0, NULL)) goto done;
            vips_object_local(scope, wide);
            if (vips_cast(wide, &cast, VIPS_FORMAT_USHORT, NULL)) goto done;
        } else if (vips_cast(joined, &cast, VIPS_FORMAT_UCHAR, NULL)) goto done;
        vips_object_local(scope, cast);
        VipsInterpretation kind = bands <= 2 ? (sixteen_bit ? VIPS_INTERPRETATION_GREY16 : VIPS_INTERPRETATION_B_W)
                                             : (sixteen_bit ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB);
        VipsImage *copied = NULL;
        if (vips_copy(cast, &copied, "interpretation", kind, NULL)) goto done;
        /* materialise, so the result is independent of the scope */
        result = vips_image_copy_memory(copied);
        g_object_unref(copied);
    }
done:
    for (int i = 0; i < 8; i++) if (t[i]) g_object_unref(t[i]);
    g_object_unref(scope);
    return result;
}

VipsImage *upscaled_vips_cmyk_pattern(int width, int height) {
    VipsImage *rgb = upscaled_vips_test_pattern(width, height, 4, false);
    if (!rgb) return NULL;
    VipsImage *copied = NULL, *result = NULL;
    if (vips_copy(rgb, &copied, "interpretation", VIPS_INTERPRETATION_CMYK, NULL) == 0) {
        result = vips_image_copy_memory(copied);
        g_object_unref(copied);
    }
    g_object_unref(rgb);
    return result;
}

VipsImage *upscaled_vips_with_int(VipsImage *in, const char *name, int value) {
    VipsImage *out = NULL;
    if (vips_copy(in, &out, NULL)) return NULL;
    vips_image_set_int(out, name, value);
    return out;
}

VipsImage *upscaled_vips_with_blob(VipsImage *in, const char *name, const void *data, size_t length) {
    VipsImage *out = NULL;
    if (vips_copy(in, &out, NULL)) return NULL;
    vips_image_set_blob_copy(out, name, data, length);
    return out;
}

/* |a - b| per sample, reduced by `reduce` (vips_avg or vips_max). */
static int abs_diff(VipsImage *a, VipsImage *b, double *out, int (*reduce)(VipsImage *, double *, ...)) {
    VipsImage *d = NULL, *m = NULL;
    int rc = vips_subtract(a, b, &d, NULL);
    if (rc == 0) rc = vips_abs(d, &m, NULL);
    if (rc == 0) rc = reduce(m, out, NULL);
    if (d) g_object_unref(d);
    if (m) g_object_unref(m);
    return rc;
}

int upscaled_vips_mean_abs_diff(VipsImage *a, VipsImage *b, double *out) { return abs_diff(a, b, out, vips_avg); }

int upscaled_vips_max_abs_diff(VipsImage *a, VipsImage *b, double *out) { return abs_diff(a, b, out, vips_max); }

int upscaled_vips_crop(VipsImage *in, VipsImage **out, int left, int top, int width, int height) {
    return vips_extract_area(in, out, left, top, width, height, NULL);
}

int upscaled_vips_detail(VipsImage *in, double *out) {
    VipsImage *t[4] = {0};
    int rc = vips_colourspace(in, &t[0], VIPS_INTERPRETATION_B_W, NULL);
    if (rc == 0) rc = vips_gaussblur(t[0], &t[1], 1.0, NULL);
    if (rc == 0) rc = vips_subtract(t[0], t[1], &t[2], NULL);
    if (rc == 0) rc = vips_abs(t[2], &t[3], NULL);
    if (rc == 0) rc = vips_avg(t[3], out, NULL);
    for (int i = 0; i < 4; i++) if (t[i]) g_object_unref(t[i]);
    return rc;
}

int upscaled_vips_shrink(VipsImage *in, VipsImage **out, double scale) {
    return vips_resize(in, out, scale, "kernel", VIPS_KERNEL_LANCZOS3, NULL);
}

#ifndef _GNU_SOURCE
#error You must define _GNU_SOURCE (Package.swift cSettings)
#endif
#include "CUpscaledShims.h"
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/vfs.h>
#include <unistd.h>

int upscaled_vips_start(const char *argv0, int concurrency) {
    if (VIPS_INIT(argv0) != 0) return -1;
    vips_block_untrusted_set(TRUE);   /* PDF, SVG, Matlab, ImageMagick-backed… never from an inbox */
    vips_cache_set_max(0);            /* a daemon sees each file once: caching only holds memory */
    vips_cache_set_max_mem(0);
    vips_concurrency_set(concurrency > 0 ? concurrency : 1);
    return 0;
}

VipsImage *upscaled_vips_open(const char *path, bool sequential) {
    return vips_image_new_from_file(path,
        "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
        "fail_on", VIPS_FAIL_ON_ERROR, NULL);
}

int upscaled_vips_get_int(VipsImage *image, const char *name, int fallback) {
    int value;
    if (vips_image_get_typeof(image, name) == 0) return fallback;
    if (vips_image_get_int(image, name, &value) != 0) { vips_error_clear(); return fallback; }
    return value;
}

bool upscaled_vips_get_string(VipsImage *image, const char *name, char *buffer, size_t size) {
    const char *value = NULL;
    if (vips_image_get_typeof(image, name) == 0) return false;
    if (vips_image_get_string(image, name, &value) != 0 || !value) { vips_error_clear(); return false; }
    snprintf(buffer, size, "%s", value);
    return true;
}

bool upscaled_vips_has_alpha(VipsImage *image) { return vips_image_hasalpha(image); }
int upscaled_vips_bands(VipsImage *image) { return image->Bands; }

bool upscaled_vips_has_field(VipsImage *image, const char *name) {
    return vips_image_get_typeof(image, name) != 0;
}

int upscaled_vips_autorot(VipsImage *in, VipsImage **out) { return vips_autorot(in, out, NULL); }

int upscaled_vips_resize(VipsImage *in, VipsImage **out, double hscale, double vscale) {
    return vips_resize(in, out, hscale, "vscale", vscale, "kernel", VIPS_KERNEL_CUBIC, NULL);
}

int upscaled_vips_affine_enlarge(VipsImage *in, VipsImage **out, double hscale, double vscale,
                                 const char *interpolator) {
    VipsInterpolate *interp = vips_interpolate_new(interpolator);
    if (!interp) return -1;
    int rc = vips_affine(in, out, hscale, 0.0, 0.0, vscale, "interpolate", interp,
                         "extend", VIPS_EXTEND_COPY, NULL);
    g_object_unref(interp);
    return rc;
}

int upscaled_vips_flatten_white(VipsImage *in, VipsImage **out) {
    /* One value per colour band, however many there are: a multi-band TIFF can have more
       than the four a fixed array would hold. */
    int colour = in->Bands > 1 ? in->Bands - 1 : 1;
    double max = (in->Type == VIPS_INTERPRETATION_RGB16 || in->Type == VIPS_INTERPRETATION_GREY16
                  || in->BandFmt == VIPS_FORMAT_USHORT) ? 65535 : 255;
    double *white = g_new(double, colour);
    for (int i = 0; i < colour; i++) white[i] = max;
    VipsArrayDouble *background = vips_array_double_new(white, colour);
    g_free(white);
    int rc = vips_flatten(in, out, "background", background, NULL);
    vips_area_unref(VIPS_AREA(background));
    return rc;
}

int upscaled_vips_drop_alpha(VipsImage *in, VipsImage **out) {
    int colour = (in->Bands == 2 || in->Bands == 4) ? in->Bands - 1 : in->Bands;
    return vips_extract_band(in, out, 0, "n", colour, NULL);
}


/* The encoders write to our descriptor through a custom target, so a failed write(2) keeps its
 * errno: libvips reports it only as strerror() text, which is translated under a non-English
 * locale and so cannot be matched. A full disk is told from a corrupt input by this errno. */
typedef struct {
    int fd;
    int error;
} UpscaledFdSink;

static gint64 upscaled_sink_write(VipsTargetCustom *target, const void *data, gint64 length, UpscaledFdSink *sink) {
    (void)target;
    gint64 done = 0;
    while (done < length) {
        ssize_t n = write(sink->fd, (const char *)data + done, (size_t)(length - done));
        if (n < 0) {
            if (errno == EINTR) continue;
            sink->error = errno;
            return -1;
        }
        done += n;
    }
    return length;
}

static VipsTarget *upscaled_fd_target(UpscaledFdSink *sink) {
    VipsTargetCustom *target = vips_target_custom_new();
    if (!target) return NULL;
    g_signal_connect(target, "write", G_CALLBACK(upscaled_sink_write), sink);
    return VIPS_TARGET(target);
}

int upscaled_vips_save_png_fd(VipsImage *in, int fd, int compression, bool filter_all, int *write_errno) {
    UpscaledFdSink sink = {fd, 0};
    VipsTarget *target = upscaled_fd_target(&sink);
    if (!target) return -1;
    int rc = vips_pngsave_target(in, target, "compression", compression,
        "filter", filter_all ? VIPS_FOREIGN_PNG_FILTER_ALL : VIPS_FOREIGN_PNG_FILTER_NONE, NULL);
    g_object_unref(target);
    *write_errno = sink.error;
    return rc;
}

int upscaled_vips_save_jpeg_fd(VipsImage *in, int fd, int quality, int *write_errno) {
    UpscaledFdSink sink = {fd, 0};
    VipsTarget *target = upscaled_fd_target(&sink);
    if (!target) return -1;
    int rc = vips_jpegsave_target(in, target, "Q", quality, NULL);
    g_object_unref(target);
    *write_errno = sink.error;
    return rc;
}

int upscaled_vips_save_webp_fd(VipsImage *in, int fd, int quality, bool lossless, int *write_errno) {
    UpscaledFdSink sink = {fd, 0};
    VipsTarget *target = upscaled_fd_target(&sink);
    if (!target) return -1;
    int rc = vips_webpsave_target(in, target, "Q", quality, "lossless", lossless, NULL);
    g_object_unref(target);
    *write_errno = sink.error;
    return rc;
}

VipsImage *upscaled_vips_open_buffer(const void *data, size_t length) {
    return vips_image_new_from_buffer(data, length, "", "access", VIPS_ACCESS_SEQUENTIAL,
                                      "fail_on", VIPS_FAIL_ON_ERROR, NULL);
}

int upscaled_vips_save_buffer(VipsImage *in, const char *suffix, void **data, size_t *length) {
    return vips_image_write_to_buffer(in, suffix, data, length, NULL);
}

int upscaled_vips_resize_to(VipsImage *in, VipsImage **out, int width, int height) {
    double h = (double) width / in->Xsize, v = (double) height / in->Ysize;
    return vips_resize(in, out, h, "vscale", v, "kernel", VIPS_KERNEL_LANCZOS3, NULL);
}

int upscaled_vips_save_file(VipsImage *in, const char *path) {
    return vips_image_write_to_file(in, path, NULL);
}

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
        if (bands == 1 || bands == 2) {
            VipsImage *grey[2] = {wave, t[3]};
            if (vips_bandjoin(grey, &joined, bands, NULL)) goto done;
        } else {
            if (vips_bandjoin(ch, &joined, bands, NULL)) goto done;
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

size_t upscaled_vips_blob_length(VipsImage *image, const char *name) {
    const void *data = NULL; size_t length = 0;
    if (vips_image_get_typeof(image, name) == 0) return 0;
    if (vips_image_get_blob(image, name, &data, &length) != 0) { vips_error_clear(); return 0; }
    return length;
}

int upscaled_vips_mean_abs_diff(VipsImage *a, VipsImage *b, double *out) {
    VipsImage *d = NULL, *m = NULL;
    int rc = vips_subtract(a, b, &d, NULL);
    if (rc == 0) rc = vips_abs(d, &m, NULL);
    if (rc == 0) rc = vips_avg(m, out, NULL);
    if (d) g_object_unref(d);
    if (m) g_object_unref(m);
    return rc;
}

int upscaled_vips_max_abs_diff(VipsImage *a, VipsImage *b, double *out) {
    VipsImage *d = NULL, *m = NULL;
    int rc = vips_subtract(a, b, &d, NULL);
    if (rc == 0) rc = vips_abs(d, &m, NULL);
    if (rc == 0) rc = vips_max(m, out, NULL);
    if (d) g_object_unref(d);
    if (m) g_object_unref(m);
    return rc;
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

int upscaled_vips_crop(VipsImage *in, VipsImage **out, int left, int top, int width, int height) {
    return vips_extract_area(in, out, left, top, width, height, NULL);
}

int upscaled_vips_shrink(VipsImage *in, VipsImage **out, double scale) {
    return vips_resize(in, out, scale, "kernel", VIPS_KERNEL_LANCZOS3, NULL);
}

char *upscaled_vips_error_copy(void) { return vips_error_buffer_copy(); }
void upscaled_vips_error_clear(void) { vips_error_clear(); }
void upscaled_vips_unref(VipsImage *image) { if (image) g_object_unref(image); }
void upscaled_free(void *pointer) { g_free(pointer); }
void upscaled_vips_thread_shutdown(void) { vips_thread_shutdown(); }

const unsigned int upscaled_RENAME_NOREPLACE = RENAME_NOREPLACE;
const int upscaled_O_TMPFILE = O_TMPFILE;
int upscaled_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                       unsigned int flags) {
    return renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
}
int upscaled_statfs_type(const char *path, unsigned long long *type) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    *type = (unsigned long long) (unsigned long) info.f_type;
    return 0;
}
int upscaled_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

int upscaled_name_current_thread(const char *name) {
    char shortened[16];
    strncpy(shortened, name, sizeof shortened - 1);
    shortened[sizeof shortened - 1] = '\0';
    return pthread_setname_np(pthread_self(), shortened);
}

void upscaled_release_free_memory(void) { malloc_trim(0); }

/* The libvips front doors: non-variadic calls Swift can make (libvips' API is mostly variadic). */
#include "CUpscaledVips.h"
#include <errno.h>
#include <string.h>
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


int upscaled_vips_autorot(VipsImage *in, VipsImage **out) { return vips_autorot(in, out, NULL); }

int upscaled_vips_resize(VipsImage *in, VipsImage **out, double hscale, double vscale) {
    return vips_resize(in, out, hscale, "vscale", vscale, "kernel", VIPS_KERNEL_CUBIC, NULL);
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





size_t upscaled_vips_blob_length(VipsImage *image, const char *name) {
    const void *data = NULL; size_t length = 0;
    if (vips_image_get_typeof(image, name) == 0) return 0;
    if (vips_image_get_blob(image, name, &data, &length) != 0) { vips_error_clear(); return 0; }
    return length;
}






char *upscaled_vips_error_copy(void) { return vips_error_buffer_copy(); }
void upscaled_vips_unref(VipsImage *image) { if (image) g_object_unref(image); }
void upscaled_free(void *pointer) { g_free(pointer); }



int upscaled_vips_thumbnail(const char *path, int size, VipsImage **out) {
    // Shrink-on-load (JPEG, WebP, HEIF decode at a fraction of their size), never enlarged.
    return vips_thumbnail(path, out, size, "height", size, "size", VIPS_SIZE_DOWN, NULL);
}

/* libvips glue for the AI engine: a lazy image whose pixels come from the network, strip by
 * strip, and the conversions around it. */
#include "CUpscaledVips.h"

typedef struct {
    upscaled_fill_fn fill;
    void *context;
    void (*release)(void *context);
} Generator;

static int generate_strip(VipsRegion *out, void *seq, void *a, void *b, gboolean *stop) {
    (void) seq; (void) b; (void) stop;
    Generator *g = a;
    VipsRect *r = &out->valid;
    if (g->fill(g->context, r->left, r->top, r->width, r->height,
                (uint8_t *) VIPS_REGION_ADDR(out, r->left, r->top), VIPS_REGION_LSKIP(out)) != 0) {
        vips_error("upscaled", "the network did not produce rows %d to %d", r->top, r->top + r->height);
        return -1;
    }
    return 0;
}

static void free_generator(VipsImage *image, void *a, void *b) {
    (void) image; (void) b;
    Generator *g = a;
    g->release(g->context);
    g_free(g);
}

VipsImage *upscaled_vips_generated_rgb(int width, int height, VipsImage *metadata, upscaled_fill_fn fill,
                                       void *context, void (*release)(void *context)) {
    Generator *g = g_new0(Generator, 1);
    g->fill = fill; g->context = context; g->release = release;
    VipsImage *out = vips_image_new();
    g_signal_connect(out, "postclose", G_CALLBACK(free_generator), g);
    /* Header (and its ICC profile, EXIF, resolution) from `metadata`, then our own geometry. */
    if (vips_image_pipelinev(out, VIPS_DEMAND_STYLE_FATSTRIP, metadata, NULL)) { g_object_unref(out); return NULL; }
    out->Xsize = width; out->Ysize = height; out->Bands = 3;
    out->BandFmt = VIPS_FORMAT_UCHAR; out->Coding = VIPS_CODING_NONE; out->Type = VIPS_INTERPRETATION_sRGB;
    if (vips_image_generate(out, NULL, generate_strip, NULL, g, NULL)) { g_object_unref(out); return NULL; }
    return out;
}

VipsInterpretation upscaled_vips_interpretation(VipsImage *image) { return vips_image_guess_interpretation(image); }
VipsBandFormat upscaled_vips_format(VipsImage *image) { return image->BandFmt; }

int upscaled_vips_extract_bands(VipsImage *in, VipsImage **out, int first, int n) {
    return vips_extract_band(in, out, first, "n", n, NULL);
}

int upscaled_vips_to_rgb8(VipsImage *in, VipsImage **out) {
    VipsInterpretation kind = vips_image_guess_interpretation(in);
    switch (kind) {
    case VIPS_INTERPRETATION_sRGB:
    case VIPS_INTERPRETATION_B_W:
    case VIPS_INTERPRETATION_RGB16:
    case VIPS_INTERPRETATION_GREY16:
    case VIPS_INTERPRETATION_CMYK:
    case VIPS_INTERPRETATION_LAB:
    case VIPS_INTERPRETATION_scRGB:
    case VIPS_INTERPRETATION_XYZ:
        if (in->BandFmt == VIPS_FORMAT_UCHAR && in->Bands == 3 && kind == VIPS_INTERPRETATION_sRGB)
            return vips_copy(in, out, NULL);
        return vips_colourspace(in, out, VIPS_INTERPRETATION_sRGB, NULL);
    default: {
        /* Multiband or unknown: its first (or only) band(s) as RGB, scaled to 8 bits. */
        VipsImage *t[3] = {0};
        int rc = 0;
        if (in->Bands >= 3) rc = vips_extract_band(in, &t[0], 0, "n", 3, NULL);
        else {
            rc = vips_extract_band(in, &t[1], 0, NULL);
            if (rc == 0) {
                VipsImage *grey[3] = {t[1], t[1], t[1]};
                rc = vips_bandjoin(grey, &t[2], 3, NULL);
            }
        }
        VipsImage *rgb = t[2] ? t[2] : t[0];
        if (rc == 0) rc = in->BandFmt == VIPS_FORMAT_USHORT ? vips_cast(rgb, out, VIPS_FORMAT_UCHAR, "shift", TRUE, NULL)
                                                            : vips_cast(rgb, out, VIPS_FORMAT_UCHAR, NULL);
        for (int i = 0; i < 3; i++) if (t[i]) g_object_unref(t[i]);
        if (rc == 0) {
            VipsImage *typed = NULL;
            rc = vips_copy(*out, &typed, "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
            g_object_unref(*out);
            *out = typed;
        }
        return rc;
    }
    }
}

int upscaled_vips_colourspace(VipsImage *in, VipsImage **out, VipsInterpretation space) {
    return vips_colourspace(in, out, space, NULL);
}

int upscaled_vips_to_uchar(VipsImage *in, VipsImage **out) {
    if (in->BandFmt == VIPS_FORMAT_UCHAR) return vips_copy(in, out, NULL);
    return vips_cast(in, out, VIPS_FORMAT_UCHAR, "shift", in->BandFmt == VIPS_FORMAT_USHORT, NULL);
}

int upscaled_vips_bandjoin2(VipsImage *a, VipsImage *b, VipsImage **out) { return vips_bandjoin2(a, b, out, NULL); }

void *upscaled_vips_write_memory(VipsImage *in, size_t *length) { return vips_image_write_to_memory(in, length); }

VipsImage *upscaled_vips_copy_memory(VipsImage *in) { return vips_image_copy_memory(in); }

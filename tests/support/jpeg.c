#include "jpeg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

/* Largest picture we decode: anything bigger in a test is a broken header, not a frame. */
#define MAX_SIDE 8192

int ts_jpeg_decode_gray(const uint8_t *jpeg, size_t len, uint8_t **pixels, int *width, int *height)
{
    *pixels = NULL;
    if (jpeg == NULL || len == 0 || len > (unsigned long)-1)
        return -EINVAL;
    tjhandle tj = tjInitDecompress();
    if (tj == NULL)
        return -ENOMEM;
    int w = 0;
    int h = 0;
    int subsamp = 0;
    int colorspace = 0;
    int rc = -EINVAL;
    if (tjDecompressHeader3(tj, jpeg, (unsigned long)len, &w, &h, &subsamp, &colorspace) == 0 &&
        w > 0 && h > 0 && w <= MAX_SIDE && h <= MAX_SIDE) {
        uint8_t *buf = malloc((size_t)w * (size_t)h);
        if (buf == NULL) {
            rc = -ENOMEM;
        } else if (tjDecompress2(tj, jpeg, (unsigned long)len, buf, w, w, h, TJPF_GRAY,
                                 TJFLAG_STOPONWARNING) == 0) {
            /* Without STOPONWARNING a truncated file still "succeeds" with a grey tail. */
            *pixels = buf;
            rc = 0;
        } else {
            free(buf);
        }
    }
    tjDestroy(tj);
    if (rc == 0) {
        *width = w;
        *height = h;
    }
    return rc;
}

int ts_jpeg_decode_ok(const uint8_t *jpeg, size_t len, int *width, int *height)
{
    uint8_t *pixels;
    int w;
    int h;
    int rc = ts_jpeg_decode_gray(jpeg, len, &pixels, &w, &h);
    if (rc < 0)
        return rc;
    free(pixels);
    if (width != NULL)
        *width = w;
    if (height != NULL)
        *height = h;
    return 0;
}

int ts_jpeg_encode_gray(const uint8_t *pixels, int width, int height, int quality, uint8_t **jpeg,
                        size_t *len)
{
    *jpeg = NULL;
    if (pixels == NULL || width <= 0 || height <= 0 || width > MAX_SIDE || height > MAX_SIDE ||
        quality < 1 || quality > 100)
        return -EINVAL;
    tjhandle tj = tjInitCompress();
    if (tj == NULL)
        return -ENOMEM;
    unsigned char *out = NULL;
    unsigned long out_len = 0;
    int rc = -EINVAL;
    if (tjCompress2(tj, pixels, width, width, height, TJPF_GRAY, &out, &out_len, TJSAMP_GRAY,
                    quality, 0) == 0) {
        /* Copied so that the caller frees it with free(), not tjFree(). */
        *jpeg = malloc(out_len);
        rc = *jpeg != NULL ? 0 : -ENOMEM;
        if (rc == 0) {
            memcpy(*jpeg, out, out_len);
            *len = out_len;
        }
    }
    tjFree(out);
    tjDestroy(tj);
    return rc;
}

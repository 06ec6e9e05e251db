/* libFuzzer target for core/mjpeg_content_type: the boundary from a Content-Type header value.
 * Whatever the input: the result is 0, -EINVAL or -ENOSPC; a boundary is NUL-terminated, 1 to
 * MJPEG_BOUNDARY_MAX bytes of bchars or spaces; and a smaller buffer gives the same boundary
 * when it fits, -ENOSPC when it does not (never a different value). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mjpeg_content_type.h"

#define SMALL_BYTES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_boundary(const char *b, size_t size)
{
    size_t n = strnlen(b, size);
    if (n == 0 || n >= size || n > MJPEG_BOUNDARY_MAX)
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c < 0x20 || c >= 0x7f)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *ct = malloc(size + 1);
    if (ct == NULL)
        return 0;
    memcpy(ct, data, size);
    ct[size] = '\0';
    char big[MJPEG_BOUNDARY_MAX + 1], small[SMALL_BYTES];
    int rc = mjpeg_boundary_from_content_type(ct, big, sizeof(big));
    int rc_small = mjpeg_boundary_from_content_type(ct, small, sizeof(small));
    if ((rc != 0 && rc != -EINVAL && rc != -ENOSPC) ||
        (rc_small != 0 && rc_small != -EINVAL && rc_small != -ENOSPC))
        abort();
    if (rc == 0)
        check_boundary(big, sizeof(big));
    if (rc_small == 0) {
        check_boundary(small, sizeof(small));
        if (rc != 0 || strcmp(small, big) != 0)
            abort();
    }
    if (rc == 0 && strlen(big) < sizeof(small) && rc_small != 0)
        abort();
    free(ct);
    return 0;
}

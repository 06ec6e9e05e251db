/*
 * bench-motion: the motion detector's cost per frame (decode at 1/8 scale + compare), for
 * make bench. Encodes a textured scene with a figure walking across it as JPEGs of the given
 * size (TurboJPEG, 4:2:0, the quality given), then times motion_feed_jpeg over them.
 *
 *   bench-motion WIDTHxHEIGHT [QUALITY] [FRAMES]
 * Prints one line: "motion WxH: mean M us, p50 P us, p99 Q us per frame (N frames, K KB)",
 * in CPU time of the thread (other programs on the machine do not count).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <turbojpeg.h>

#include "motion.h"

#define SCENE_FRAMES 50

/* CPU time of this thread: on a shared machine, wall time would count other programs too. */
static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Sky, hills, a chequered lawn, noise, and a dark figure at figure_x. */
static void render(uint8_t *rgb, int w, int h, int figure_x, unsigned seed)
{
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            seed = seed * 1103515245u + 12345u;
            int noise = (int)((seed >> 16) % 9) - 4;
            int r, g, b;
            if (y < h / 2) {
                r = 110 + y * 60 / h;
                g = 150 + y * 40 / h;
                b = 220;
            } else {
                int check = ((x * 8 / w) + (y * 16 / h)) % 2;
                r = 70 + 15 * check;
                g = 130 + 20 * check;
                b = 60;
            }
            if (x >= figure_x && x < figure_x + w / 10 && y > h * 2 / 5 && y < h * 9 / 10)
                r = 40, g = 30, b = 60;
            p[0] = (uint8_t)(r + noise);
            p[1] = (uint8_t)(g + noise);
            p[2] = (uint8_t)(b + noise);
        }
    }
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int w, h, quality = argc > 2 ? atoi(argv[2]) : 86, frames = argc > 3 ? atoi(argv[3]) : 500;
    if (argc < 2 || sscanf(argv[1], "%dx%d", &w, &h) != 2 || w < 64 || h < 64 || w > 4096 ||
        h > 4096 || quality < 1 || quality > 100 || frames < 10) {
        fprintf(stderr, "usage: bench-motion WIDTHxHEIGHT [QUALITY] [FRAMES]\n");
        return 2;
    }
    tjhandle tj = tjInitCompress();
    uint8_t *rgb = malloc((size_t)w * h * 3);
    unsigned char *jpeg[SCENE_FRAMES] = {0};
    unsigned long len[SCENE_FRAMES] = {0}, total = 0;
    int64_t *cost = calloc((size_t)frames, sizeof(*cost));
    struct motion *m = motion_new(NULL, 0);
    if (tj == NULL || rgb == NULL || cost == NULL || m == NULL)
        return 1;
    for (int i = 0; i < SCENE_FRAMES; i++) {
        /* The figure walks through the second half of the frames. */
        int fx = i < SCENE_FRAMES / 2 ? -w : (i - SCENE_FRAMES / 2) * w / (SCENE_FRAMES / 2);
        render(rgb, w, h, fx, 7u * (unsigned)i + 1);
        if (tjCompress2(tj, rgb, w, 0, h, TJPF_RGB, &jpeg[i], &len[i], TJSAMP_420, quality,
                        TJFLAG_FASTDCT) != 0)
            return 1;
        total += len[i];
    }
    int moving = 0;
    for (int i = 0; i < frames; i++) {
        struct motion_result r;
        int k = i % SCENE_FRAMES;
        int64_t t0 = now_us();
        if (motion_feed_jpeg(m, jpeg[k], len[k], (int64_t)i * 40000, &r) < 0)
            return 1;
        cost[i] = now_us() - t0;
        moving += r.state == MOTION_DETECTED;
    }
    int64_t sum = 0;
    for (int i = 0; i < frames; i++)
        sum += cost[i];
    qsort(cost, (size_t)frames, sizeof(*cost), cmp);
    printf("motion %dx%d: mean %.0f us, p50 %lld us, p99 %lld us per frame (%d frames, %lu KB "
           "JPEG, %d judged moving)\n",
           w, h, (double)sum / frames, (long long)cost[frames / 2],
           (long long)cost[frames * 99 / 100], frames, total / SCENE_FRAMES / 1024, moving);
    for (int i = 0; i < SCENE_FRAMES; i++)
        tjFree(jpeg[i]);
    motion_free(m);
    free(cost);
    free(rgb);
    tjDestroy(tj);
    return 0;
}

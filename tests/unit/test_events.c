/* Unit tests for relay/guard/events, events_store, recorder: pre-roll, one event, the files,
 * crash recovery, index rebuild, corrupt files, retention, a full queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "../support/jpeg.h"
#include "../support/tmpdir.h"
#include "clock.h"
#include "continuous.h"
#include "event_index.h"
#include "events.h"
#include "events_store.h"
#include "frame.h"
#include "recorder_mux.h"

#define FRAME_US 100000LL /* 10 fps */

struct heard {
    int starts, ends;
    int64_t id;
    int has_recording;
    char thumb[96];
};

static void on_event(const struct event_info *ev, void *arg)
{
    struct heard *h = arg;
    if (ev->phase == EVENT_START) {
        h->starts++;
        h->id = ev->id;
        snprintf(h->thumb, sizeof(h->thumb), "%s", ev->thumbnail_path);
        assert_non_null(ev->thumbnail);
    } else {
        h->ends++;
        h->has_recording = ev->recording_path != NULL;
        assert_int_equal(ev->id, h->id);
        assert_true(ev->end_unix_ms >= ev->start_unix_ms);
    }
    assert_string_equal(ev->camera, "garden");
}

/* A 64x48 grey JPEG, shade n, as a finished frame received at received_us. */
static struct frame *make_frame(int n, int64_t received_us)
{
    uint8_t px[64 * 48];
    memset(px, (n * 7) & 0xff, sizeof(px));
    uint8_t *jpeg;
    size_t len;
    assert_int_equal(ts_jpeg_encode_gray(px, 64, 48, 70, &jpeg, &len), 0);
    struct frame *f = frame_new(len, len);
    assert_non_null(f);
    assert_int_equal(frame_append(f, jpeg, len), 0);
    assert_int_equal(frame_finish(f, (uint64_t)n, received_us, "b"), 0);
    free(jpeg);
    return f;
}

static void pump(struct event_base *base, int rounds)
{
    for (int i = 0; i < rounds; i++) {
        struct timeval tv = {0, 10000};
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
}

struct fixture {
    char *dir;
    struct event_base *base;
    struct events_store *store;
    struct events *ev;
    struct heard heard;
};

static const struct events_config camera_cfg = {.camera = "garden",
                                                .camera_title = "Garden",
                                                .preroll_ms = 1000,
                                                .quiet_ms = 1000,
                                                .max_event_ms = 600000,
                                                .preroll_max_frames = 50,
                                                .queue_max_frames = 64};

static void open_store(struct fixture *fx, const struct retention_limits *lim)
{
    char err[512];
    struct events_store_config sc = {.dir = fx->dir, .check_interval_ms = 60000};
    if (lim != NULL)
        sc.limits = *lim;
    fx->store = events_store_open(fx->base, &sc, err, sizeof(err));
    assert_non_null(fx->store);
    fx->ev = events_new(fx->base, fx->store, &camera_cfg, err, sizeof(err));
    assert_non_null(fx->ev);
    events_set_listener(fx->ev, on_event, &fx->heard);
}

static void close_store(struct fixture *fx)
{
    events_free(fx->ev);
    events_store_close(fx->store);
    fx->ev = NULL;
    fx->store = NULL;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    fx->dir = ts_tmpdir_new();
    fx->base = event_base_new();
    open_store(fx, NULL);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    close_store(fx);
    event_base_free(fx->base);
    ts_tmpdir_free(fx->dir);
    free(fx);
    return 0;
}

/* Feed frames t0..: `still` quiet ones, `moving` with motion, then `after` quiet ones. */
static int64_t feed(struct fixture *fx, int64_t t, int still, int moving, int after)
{
    for (int i = 0; i < still + moving + after; i++) {
        t += FRAME_US;
        struct frame *f = make_frame(i, t);
        int is_moving = i >= still && i < still + moving;
        struct motion_result v = {.state = is_moving ? MOTION_DETECTED : MOTION_STILL,
                                  .changed_pct = is_moving ? 5.0 + i : 0.1};
        events_on_frame(fx->ev, f, t, &v);
        frame_unref(f);
        pump(fx->base, 1);
    }
    return t;
}

static void wait_ends(struct fixture *fx, int ends)
{
    for (int i = 0; i < 300 && fx->heard.ends < ends; i++)
        pump(fx->base, 1);
    assert_int_equal(fx->heard.ends, ends);
}

static void test_events_one_event_with_preroll(void **state)
{
    struct fixture *fx = *state;
    /* 30 still frames (3 s; 1 s of pre-roll kept), 10 moving, then 1.5 s quiet: one event. */
    feed(fx, 1000000000, 30, 10, 15);
    wait_ends(fx, 1);
    assert_int_equal(fx->heard.starts, 1);
    assert_true(fx->heard.has_recording);
    struct event_record rec;
    assert_int_equal(event_index_get(events_store_index(fx->store), fx->heard.id, &rec), 0);
    for (int i = 0; i < 100 && rec.thumb[0] != '\0' && rec.bytes < 2000; i++) {
        pump(fx->base, 1); /* the thumbnail follows the recording */
        event_index_get(events_store_index(fx->store), fx->heard.id, &rec);
    }
    assert_true(rec.is_done);
    /* Pre-roll (11 frames within 1 s) + 10 moving + 10 quiet (until 1 s without motion). */
    assert_true(rec.frames >= 29 && rec.frames <= 32);
    assert_true(rec.end_unix_ms > rec.start_unix_ms);
    char path[2048];
    snprintf(path, sizeof(path), "%s/garden/%s", fx->dir, rec.file);
    uint32_t frames;
    int64_t duration_ms;
    assert_int_equal(recorder_mux_probe(path, &frames, &duration_ms), 0);
    assert_int_equal(frames, rec.frames);
    /* Timestamps at the source's pace: 100 ms a frame. */
    assert_int_equal(duration_ms, (int64_t)(frames - 1) * 100);
    snprintf(path, sizeof(path), "%s/garden/ev-%lld.jpg", fx->dir, (long long)rec.id);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_non_null(strstr(fx->heard.thumb, "/thumbnail.jpg"));
}

static void test_events_motion_in_a_running_event_extends_it(void **state)
{
    struct fixture *fx = *state;
    int64_t t = feed(fx, 1000000000, 5, 5, 5); /* 0.5 s quiet: not over */
    t = feed(fx, t, 0, 5, 15);
    wait_ends(fx, 1);
    assert_int_equal(fx->heard.starts, 1);
}

/* Write a recording as a crash would leave it: frames, no trailer, temporary name. */
static void write_part(const char *path, int frames)
{
    struct recorder_mux *m;
    struct frame *f = make_frame(1, 0);
    size_t len;
    const uint8_t *jpeg = frame_jpeg(f, &len);
    assert_int_equal(recorder_mux_open(&m, path, 64, 48), 0);
    for (int i = 0; i < frames; i++)
        assert_int_equal(recorder_mux_write(m, jpeg, len, i * 100), 0);
    recorder_mux_abort(m); /* no trailer, as after kill -9 (whole clusters are on disk) */
    frame_unref(f);
}

static void write_partial(const char *dir, long long id, int frames)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/garden/.ev-%lld.mkv.part", dir, id);
    write_part(path, frames);
}

static void test_events_store_recovers_after_a_crash(void **state)
{
    struct fixture *fx = *state;
    struct event_index *idx = events_store_index(fx->store);
    struct event_record rec = {.camera = "garden", .start_unix_ms = 1765000000000LL};
    assert_int_equal(event_index_insert(idx, &rec), 0);
    struct event_record lost = {.camera = "garden", .start_unix_ms = 1765000100000LL};
    assert_int_equal(event_index_insert(idx, &lost), 0);
    close_store(fx);
    write_partial(fx->dir, (long long)rec.id, 40);
    char junk[2048];
    snprintf(junk, sizeof(junk), "%s/garden/.ev-%lld.mkv.part", fx->dir, (long long)lost.id);
    FILE *f = fopen(junk, "w");
    fputs("not matroska", f);
    fclose(f);

    open_store(fx, NULL);
    idx = events_store_index(fx->store);
    struct event_record got;
    assert_int_equal(event_index_get(idx, rec.id, &got), 0);
    assert_true(got.is_done);
    assert_true(got.frames > 0 && got.frames <= 40);
    assert_int_equal(event_index_get(idx, lost.id, &got), -ENOENT);
    assert_int_equal(access(junk, F_OK), -1);
    /* Every listed event opens. */
    struct event_record all[8];
    int n = event_index_list(idx, NULL, 0, INT64_MAX / 4, all, 8);
    assert_int_equal(n, 1);
    char path[2048];
    snprintf(path, sizeof(path), "%s/garden/%s", fx->dir, all[0].file);
    uint32_t frames;
    int64_t ms;
    assert_int_equal(recorder_mux_probe(path, &frames, &ms), 0);
}

static void test_events_store_rebuilds_a_lost_index(void **state)
{
    struct fixture *fx = *state;
    feed(fx, 1000000000, 3, 3, 12);
    wait_ends(fx, 1);
    int64_t id = fx->heard.id;
    pump(fx->base, 5);
    close_store(fx);
    char path[2048];
    snprintf(path, sizeof(path), "%s/garden/ev-99-1765000000000-1765000001000-50.mkv", fx->dir);
    FILE *f = fopen(path, "w"); /* a corrupt file: skipped, not fatal */
    fputs("garbage", f);
    fclose(f);
    const char *db[] = {"events.db", "events.db-wal", "events.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", fx->dir, db[i]);
        unlink(path);
    }
    open_store(fx, NULL);
    struct event_record got;
    struct event_index *idx = events_store_index(fx->store);
    assert_int_equal(event_index_get(idx, id, &got), 0);
    assert_true(got.is_done && got.frames > 0);
    assert_int_equal(event_index_get(idx, 99, &got), -ENOENT);
    /* New ids stay above the rebuilt ones. */
    struct event_record next = {.camera = "garden", .start_unix_ms = 1};
    assert_int_equal(event_index_insert(idx, &next), 0);
    assert_true(next.id > id);
}

static void test_events_store_retention_and_delete(void **state)
{
    struct fixture *fx = *state;
    int64_t t = 1000000000;
    int64_t ids[3];
    for (int k = 0; k < 3; k++) {
        t = feed(fx, t, 2, 3, 12);
        wait_ends(fx, k + 1);
        ids[k] = fx->heard.id;
    }
    pump(fx->base, 10);
    uint64_t bytes, count;
    struct event_index *idx = events_store_index(fx->store);
    assert_int_equal(event_index_totals(idx, &bytes, &count), 0);
    assert_int_equal(count, 3);
    /* Room for two of the three: opening applies retention, and the oldest goes. */
    struct event_record r2, r3;
    assert_int_equal(event_index_get(idx, ids[1], &r2), 0);
    assert_int_equal(event_index_get(idx, ids[2], &r3), 0);
    close_store(fx);
    struct retention_limits lim = {.max_total_bytes = r2.bytes + r3.bytes};
    open_store(fx, &lim);
    idx = events_store_index(fx->store);
    struct event_record got;
    assert_int_equal(event_index_get(idx, ids[0], &got), -ENOENT);
    assert_int_equal(event_index_get(idx, ids[1], &got), 0);
    assert_int_equal(event_index_get(idx, ids[2], &got), 0);
    /* Room for nothing, while a fourth event is being recorded: it stays, the others go. */
    close_store(fx);
    lim.max_total_bytes = 1;
    open_store(fx, &lim);
    idx = events_store_index(fx->store);
    feed(fx, t, 0, 3, 0);
    int64_t current = fx->heard.id;
    assert_true(current > ids[2]);
    assert_int_equal(events_store_delete(fx->store, current), -EBUSY);
    events_store_apply_retention(fx->store);
    assert_int_equal(event_index_get(idx, current, &got), 0);
    assert_int_equal(event_index_get(idx, ids[1], &got), -ENOENT);
    assert_int_equal(event_index_get(idx, ids[2], &got), -ENOENT);
    assert_int_equal(events_store_delete(fx->store, ids[2]), -ENOENT);
}

static void test_events_store_refuses_a_missing_dir(void **state)
{
    struct fixture *fx = *state;
    char err[512], missing[2048];
    snprintf(missing, sizeof(missing), "%s/nope", fx->dir);
    struct events_store_config sc = {.dir = missing, .check_interval_ms = 1000};
    assert_null(events_store_open(fx->base, &sc, err, sizeof(err)));
    assert_non_null(strstr(err, "RECORD_DIR"));
    assert_non_null(strstr(err, "nope"));
}

/* The finished recordings of a kind, oldest first, into out; each file opens with its frames. */
static int finished(struct fixture *fx, enum recording_kind kind, struct recording_record *out,
                    int max)
{
    int n = event_index_rec_list(events_store_index(fx->store), "garden", kind, 0, INT64_MAX / 4,
                                 out, (size_t)max);
    for (int i = 0; i < n; i++) {
        char path[2048];
        uint32_t frames;
        int64_t ms;
        assert_true(out[i].is_done);
        snprintf(path, sizeof(path), "%s/garden/%s", fx->dir, out[i].file);
        assert_int_equal(recorder_mux_probe(path, &frames, &ms), 0);
        assert_int_equal(frames, out[i].frames);
    }
    return n;
}

static void test_continuous_rotates_segments_and_paces_the_timelapse(void **state)
{
    struct fixture *fx = *state;
    struct continuous_config cc = {.camera = "garden", .segment_s = 1, .timelapse_s = 1};
    struct continuous *c = continuous_new(fx->store, events_recorder(fx->ev), &cc);
    assert_non_null(c);
    events_set_result_sink(fx->ev, continuous_on_result, c);
    /* 35 frames at 10 fps: segments of frames 1-10, 11-20, 21-30 and 31-35 (cut by the stop);
     * the timelapse takes frames 1, 11, 21, 31. */
    int64_t t = clock_now_us() - 10000000;
    for (int i = 0; i < 35; i++) {
        t += FRAME_US;
        struct frame *f = make_frame(i, t);
        continuous_on_frame(c, f, t);
        frame_unref(f);
        pump(fx->base, 1);
    }
    continuous_stop(c);
    struct recording_record segs[8], tl[2];
    int n = 0;
    for (int i = 0; i < 300; i++) {
        pump(fx->base, 1);
        n = event_index_rec_list(events_store_index(fx->store), "garden", 0, 0, INT64_MAX / 4, segs,
                                 8);
        int done = 0;
        for (int k = 0; k < n; k++)
            done += segs[k].is_done;
        if (n == 5 && done == 5)
            break;
    }
    assert_int_equal(finished(fx, RECORDING_SEGMENT, segs, 8), 4);
    const uint32_t want[] = {10, 10, 10, 5};
    /* Wall-clock times are read once per frame: they may differ from the pace by 1 ms. */
    for (int k = 0; k < 4; k++) {
        assert_int_equal(segs[k].frames, want[k]);
        int64_t span = segs[k].end_unix_ms - segs[k].start_unix_ms;
        assert_in_range(span, (want[k] - 1) * FRAME_US / 1000 - 2,
                        (want[k] - 1) * FRAME_US / 1000 + 2);
        if (k > 0)
            assert_in_range(segs[k].start_unix_ms - segs[k - 1].end_unix_ms, FRAME_US / 1000 - 2,
                            FRAME_US / 1000 + 2);
    }
    assert_int_equal(finished(fx, RECORDING_TIMELAPSE, tl, 2), 1);
    assert_int_equal(tl[0].frames, 4);
    char path[2048];
    uint32_t frames;
    int64_t ms;
    snprintf(path, sizeof(path), "%s/garden/%s", fx->dir, tl[0].file);
    assert_int_equal(recorder_mux_probe(path, &frames, &ms), 0);
    assert_int_equal(ms, 3 * CONTINUOUS_TIMELAPSE_FRAME_MS);
    struct continuous_stats st;
    continuous_get_stats(c, &st);
    assert_int_equal(st.segments, 4);
    assert_int_equal(st.timelapse_frames, 4);
    events_set_result_sink(fx->ev, NULL, NULL);
    continuous_free(c);
}

static void test_continuous_store_recovers_parts(void **state)
{
    struct fixture *fx = *state;
    struct event_index *idx = events_store_index(fx->store);
    /* A timelapse the index knew of (not done), a segment whose row a power cut lost, a junk
     * part, and a row whose files are gone. */
    struct recording_record known = {.camera = "garden",
                                     .kind = RECORDING_TIMELAPSE,
                                     .start_unix_ms = 1796601600000LL + 5000,
                                     .end_unix_ms = 1796601600000LL + 65000,
                                     .file = "timelapse/2026-12-07.mkv"};
    struct recording_record gone = {.camera = "garden",
                                    .kind = RECORDING_SEGMENT,
                                    .start_unix_ms = 1796601600000LL,
                                    .file = "segments/2026-12-07/000000.mkv"};
    assert_int_equal(event_index_rec_insert(idx, &known), 0);
    assert_int_equal(event_index_rec_insert(idx, &gone), 0);
    close_store(fx);
    char path[2048];
    snprintf(path, sizeof(path), "%s/garden/segments", fx->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/garden/timelapse", fx->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/garden/timelapse/.2026-12-07.mkv.part", fx->dir);
    write_part(path, 12);
    snprintf(path, sizeof(path), "%s/garden/segments/.2026-12-07_101500.mkv.part", fx->dir);
    write_part(path, 30);
    char junk[2048];
    snprintf(junk, sizeof(junk), "%s/garden/segments/.2026-12-07_101502.mkv.part", fx->dir);
    FILE *f = fopen(junk, "w");
    fputs("not matroska", f);
    fclose(f);

    open_store(fx, NULL);
    idx = events_store_index(fx->store);
    struct recording_record got[4];
    assert_int_equal(finished(fx, RECORDING_SEGMENT, got, 4), 1);
    assert_string_equal(got[0].file, "segments/2026-12-07/101500.mkv");
    assert_int_equal(got[0].start_unix_ms, 1796601600000LL + 36900000);
    /* Every frame was handed to the kernel as it was written: all of them are back. */
    assert_int_equal(got[0].frames, 30);
    assert_int_equal(got[0].end_unix_ms - got[0].start_unix_ms, (got[0].frames - 1) * 100);
    assert_int_equal(finished(fx, RECORDING_TIMELAPSE, got, 4), 1);
    assert_int_equal(got[0].id, known.id);
    assert_int_equal(got[0].frames, 12);
    assert_int_equal(got[0].end_unix_ms, known.end_unix_ms);
    assert_int_equal(event_index_rec_get(idx, gone.id, got), -ENOENT);
    assert_int_equal(access(junk, F_OK), -1);
    assert_int_equal(access(path, F_OK), -1);
    /* A lost index: every file comes back from its name. */
    close_store(fx);
    snprintf(path, sizeof(path), "%s/events.db", fx->dir);
    assert_int_equal(unlink(path), 0);
    open_store(fx, NULL);
    assert_int_equal(finished(fx, RECORDING_SEGMENT, got, 4), 1);
    assert_int_equal(finished(fx, RECORDING_TIMELAPSE, got, 4), 1);
    assert_int_equal(got[0].start_unix_ms, 1796601600000LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_events_one_event_with_preroll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_motion_in_a_running_event_extends_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_events_store_recovers_after_a_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_store_rebuilds_a_lost_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_store_retention_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_store_refuses_a_missing_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_continuous_rotates_segments_and_paces_the_timelapse,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_continuous_store_recovers_parts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

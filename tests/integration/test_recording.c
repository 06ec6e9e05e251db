/*
 * Continuous recording on loopback: lookout-cam and a relay with RECORD_SEGMENT_S (and
 * RECORD_TIMELAPSE_S) into a temporary RECORD_DIR. Segments appear one after another, each a
 * file ffprobe opens with the frames the index lists at the source's pace; kill -9 in the middle
 * of one leaves only playable files listed after a restart; retention deletes the oldest and
 * never the one being written; the timelapse file holds one frame a second at 25 fps; a camera
 * file switches segments on for its camera only.
 *
 * Every wait is bounded; nothing asserts on timing beyond the recorded timestamps themselves.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/http.h"
#include "../support/proc.h"
#include "../support/run.h"
#include "../support/stack.h"
#include "../support/stream.h"
#include "../support/tmpdir.h"

#define HTTP_TIMEOUT_MS 5000
#define FPS 10
#define LIST_MAX 256

struct rec_test {
    char *dir;
    char rec[600];
    struct ts_stack stack;
    int is_mounted;
};

/* One entry of /api/segments or /api/timelapse. */
struct entry {
    long long id, start_ms, end_ms, bytes;
    int frames;
    int is_recording;
};

static const char base_env[] = "MOTION_SETTLE_MS=1000\nRECORD_CHECK_INTERVAL_MS=500\n";

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void start(struct rec_test *t, const char *extra)
{
    char env[2048];
    snprintf(env, sizeof(env), "RECORD_DIR=%s\n%s%s", t->rec, base_env, extra ? extra : "");
    assert_int_equal(ts_stack_start(&t->stack, t->dir, FPS, env), 0);
    assert_int_equal(ts_proc_wait_log(t->stack.relay_log, "camera cam: online", 10000, NULL, 0), 0);
}

static int setup(void **state)
{
    struct rec_test *t = calloc(1, sizeof(*t));
    t->dir = ts_tmpdir_new();
    snprintf(t->rec, sizeof(t->rec), "%s/rec", t->dir);
    mkdir(t->rec, 0700);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct rec_test *t = *state;
    ts_stack_stop(&t->stack);
    if (t->is_mounted)
        umount2(t->rec, MNT_DETACH);
    ts_tmpdir_free(t->dir);
    free(t);
    return 0;
}

/* GET path from the relay as alice: the status, and the body into *body (caller frees). */
static int get(struct rec_test *t, const char *path, char **body)
{
    struct ts_http_response r = {0};
    int status =
        ts_http_request(t->stack.relay_port, "GET", path, t->stack.auth, NULL, HTTP_TIMEOUT_MS, &r);
    *body = r.body != NULL ? strdup((const char *)r.body) : strdup("");
    ts_http_response_deinit(&r);
    return status;
}

static long long field(const char *obj, const char *key)
{
    char needle[64];
    snprintf(needle, sizeof(needle), "\"%s\":", key);
    const char *p = strstr(obj, needle);
    assert_non_null(p);
    return atoll(p + strlen(needle));
}

/* The list at path (oldest first) into out; returns how many. */
static int list(struct rec_test *t, const char *path, struct entry *out, int max)
{
    char *body;
    assert_int_equal(get(t, path, &body), 200);
    int n = 0;
    for (const char *p = strstr(body, "{\"id\":"); p != NULL && n < max;
         p = strstr(p + 1, "{\"id\":")) {
        out[n] = (struct entry){.id = field(p, "id"),
                                .start_ms = field(p, "start_ms"),
                                .end_ms = field(p, "end_ms"),
                                .bytes = field(p, "bytes"),
                                .frames = (int)field(p, "frames")};
        const char *rec = strstr(p, "\"recording\":");
        out[n].is_recording = rec != NULL && strncmp(rec + 12, "true", 4) == 0;
        n++;
    }
    free(body);
    return n;
}

/* Wait until path lists at least `done` finished entries; returns how many are listed. */
static int wait_done(struct rec_test *t, const char *path, int done, struct entry *out,
                     int timeout_ms)
{
    int n = 0;
    for (int waited = 0; waited <= timeout_ms; waited += 250) {
        n = list(t, path, out, LIST_MAX);
        int finished = 0;
        for (int i = 0; i < n; i++)
            finished += !out[i].is_recording;
        if (finished >= done)
            return n;
        sleep_ms(250);
    }
    ts_proc_print_log(t->stack.relay_log, 30);
    fail_msg("%s: expected %d finished recordings, %d listed", path, done, n);
    return n;
}

/* ffprobe a file: its packets' timestamps (count, first, last, smallest and largest step). */
struct probed {
    int frames;
    double first_s, last_s, min_step_s, max_step_s;
};

static int probe(struct rec_test *t, const char *file, struct probed *p)
{
    char ffprobe[512], log[700];
    if (ts_which("ffprobe", ffprobe, sizeof(ffprobe)) < 0)
        return -ENOENT;
    snprintf(log, sizeof(log), "%s/ffprobe.log", t->dir);
    unlink(log);
    char *argv[] = {ffprobe,           "-v",  "error",   "-select_streams", "v:0", "-show_entries",
                    "packet=pts_time", "-of", "csv=p=0", (char *)file,      NULL};
    if (ts_run(argv, NULL, log, 20000) != 0)
        return -EPROTO;
    char *out = ts_file_read(log, 1 << 20);
    if (out == NULL)
        return -EIO;
    memset(p, 0, sizeof(*p));
    p->min_step_s = 1e9;
    double prev = 0;
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        double ts = atof(line);
        if (p->frames == 0) {
            p->first_s = ts;
        } else {
            p->min_step_s = ts - prev < p->min_step_s ? ts - prev : p->min_step_s;
            p->max_step_s = ts - prev > p->max_step_s ? ts - prev : p->max_step_s;
        }
        prev = p->last_s = ts;
        p->frames++;
    }
    free(out);
    return 0;
}

/* Download PREFIX/api/recordings/ID/recording.mkv (prefix "" or "/c/NAME") into the test's
 * folder; returns its path. */
static void download(struct rec_test *t, const char *prefix, long long id, char *path, size_t size)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/api/recordings/%lld/recording.mkv", prefix, id);
    struct ts_http_response r = {0};
    assert_int_equal(
        ts_http_request(t->stack.relay_port, "GET", url, t->stack.auth, NULL, HTTP_TIMEOUT_MS, &r),
        200);
    snprintf(path, size, "%s/dl-%lld.mkv", t->dir, id);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(r.body, 1, r.body_len, f), r.body_len);
    assert_int_equal(fclose(f), 0);
    ts_http_response_deinit(&r);
}

/* A finished entry of camera prefix ("" or "/c/NAME") downloads and opens in ffprobe with the
 * listed frames, which it returns. */
static void check_camera_playable(struct rec_test *t, const char *prefix, const struct entry *e,
                                  struct probed *p)
{
    char path[700];
    download(t, prefix, e->id, path, sizeof(path));
    int rc = probe(t, path, p);
    if (rc == -ENOENT) {
        skip();
        return;
    }
    assert_int_equal(rc, 0);
    assert_true(p->frames > 0);
    assert_int_equal(p->frames, e->frames);
}

static void check_playable(struct rec_test *t, const struct entry *e, struct probed *p)
{
    check_camera_playable(t, "", e, p);
}

static void test_recording_segments_follow_each_other_and_play(void **state)
{
    struct rec_test *t = *state;
    start(t, "RECORD_SEGMENT_S=2\n");
    struct entry segs[LIST_MAX];
    int n = wait_done(t, "/api/segments", 3, segs, 20000);
    int checked = 0;
    for (int i = 0; i < n; i++) {
        if (segs[i].is_recording) {
            /* The one being written is listed but not served yet. */
            assert_int_equal(i, n - 1);
            char url[96], *body;
            snprintf(url, sizeof(url), "/api/recordings/%lld/recording.mkv", segs[i].id);
            assert_int_equal(get(t, url, &body), 409);
            free(body);
            continue;
        }
        struct probed p;
        check_playable(t, &segs[i], &p);
        print_message("segment %lld: %d frames, %.3f .. %.3f s, steps %.3f .. %.3f s, %lld "
                      "bytes\n",
                      segs[i].id, p.frames, p.first_s, p.last_s, p.min_step_s, p.max_step_s,
                      segs[i].bytes);
        /* Real timestamps from 0 at the source's pace (10 fps), within the segment's length. */
        assert_true(p.first_s < 0.001);
        assert_true(p.last_s < 2.0);
        assert_true(p.frames >= 2);
        double pace = (p.last_s - p.first_s) / (p.frames - 1);
        assert_true(pace > 0.5 / FPS && pace < 2.0 / FPS);
        /* The index's times say the same as the file's. */
        long long span = segs[i].end_ms - segs[i].start_ms;
        assert_true(span >= (long long)(p.last_s * 1000) - 5 &&
                    span <= (long long)(p.last_s * 1000) + 5);
        checked++;
        if (i + 1 < n) {
            /* Consecutive: the next begins with the frame after this one's last. */
            long long gap = segs[i + 1].start_ms - segs[i].end_ms;
            assert_true(gap > 0 && gap < 1000);
        }
    }
    assert_true(checked >= 3);
    /* On disk as segments/YYYY-MM-DD/HHMMSS.mkv. */
    char cmd[800], line[256];
    snprintf(cmd, sizeof(cmd), "ls %s/cam/segments/*/", t->rec);
    FILE *ls = popen(cmd, "r");
    int files = 0;
    while (ls != NULL && fgets(line, sizeof(line), ls) != NULL) {
        unsigned hms;
        int used = 0;
        if (sscanf(line, "%6u.mkv%n", &hms, &used) == 1 && used == 10)
            files++;
    }
    if (ls != NULL)
        pclose(ls);
    assert_true(files >= 3);
    char *metrics;
    assert_int_equal(get(t, "/metrics", &metrics), 200);
    const char *m = strstr(metrics, "lookout_segments_total{camera=\"cam\"} ");
    assert_non_null(m);
    assert_true(atoi(m + strlen("lookout_segments_total{camera=\"cam\"} ")) >= 3);
    free(metrics);
}

/* kill -9 the relay. */
static void kill_relay(struct rec_test *t)
{
    kill(t->stack.relay_pid, SIGKILL);
    assert_int_equal(ts_proc_stop(t->stack.relay_pid), 128 + SIGKILL);
    t->stack.relay_pid = 0;
}

/* Start the relay again after kill_relay (its log: lookout-N.log). */
static void start_relay_again(struct rec_test *t, int n)
{
    char relay_bin[512], log[500];
    snprintf(relay_bin, sizeof(relay_bin), "%s/lookout", ts_bin_dir());
    snprintf(log, sizeof(log), "%s/lookout-%d.log", t->dir, n);
    char *argv[] = {relay_bin, "--env", t->stack.env_path, "--listen", "127.0.0.1:0", NULL};
    int port = ts_proc_start_port("recording", argv, ts_stack_clean_env, log,
                                  "listening on http://", 10000, &t->stack.relay_pid);
    assert_true(port > 0);
    t->stack.relay_port = (uint16_t)port;
    snprintf(t->stack.relay_log, sizeof(t->stack.relay_log), "%s", log);
}

/* Restart the relay after kill -9 (its log: lookout-N.log). */
static void restart_after_kill(struct rec_test *t, int n)
{
    kill_relay(t);
    start_relay_again(t, n);
}

static void test_recording_kill_9_leaves_only_playable_segments(void **state)
{
    struct rec_test *t = *state;
    start(t, "RECORD_SEGMENT_S=4\n");
    struct entry segs[LIST_MAX];
    int n = wait_done(t, "/api/segments", 1, segs, 20000);
    /* Wait until the one being written is ~2 s in, then kill -9. */
    long long cut_id = 0;
    for (int i = 0; i < 40 && cut_id == 0; i++) {
        n = list(t, "/api/segments", segs, LIST_MAX);
        if (n > 0 && segs[n - 1].is_recording) {
            cut_id = segs[n - 1].id;
            break;
        }
        sleep_ms(100);
    }
    assert_true(cut_id > 0);
    sleep_ms(2000);
    restart_after_kill(t, 2);
    /* Every file listed plays; only the newest (after the restart) may still be written. */
    n = wait_done(t, "/api/segments", 2, segs, 20000);
    int has_cut = 0;
    for (int i = 0; i < n; i++) {
        if (segs[i].is_recording) {
            assert_int_equal(i, n - 1);
            continue;
        }
        struct probed p;
        check_playable(t, &segs[i], &p);
        if (segs[i].id == cut_id) {
            has_cut = 1;
            print_message("the cut segment %lld was recovered: %d frames\n", cut_id, p.frames);
        }
    }
    /* The cut one was recovered (a frame is a Matroska cluster: what reached the disk reads),
     * and said so once. */
    assert_true(has_cut);
    assert_int_equal(ts_proc_wait_log(t->stack.relay_log, "after a crash", 1000, NULL, 0), 0);
}

/* Add lines to the relay's .env (for its next start). */
static void append_env(struct rec_test *t, const char *lines)
{
    FILE *f = fopen(t->stack.env_path, "a");
    assert_non_null(f);
    fputs(lines, f);
    fclose(f);
}

static void test_recording_retention_deletes_the_oldest_never_the_current(void **state)
{
    struct rec_test *t = *state;
    start(t, "RECORD_SEGMENT_S=1\nRECORD_MIN_FREE_BYTES=0\n");
    struct entry segs[LIST_MAX];
    int n = wait_done(t, "/api/segments", 6, segs, 30000);
    /* Room for about three: the limit is three times the largest finished segment. */
    long long largest = 0;
    for (int i = 0; i < n; i++)
        largest = segs[i].bytes > largest ? segs[i].bytes : largest;
    assert_true(largest > 0);
    char lines[128];
    snprintf(lines, sizeof(lines), "RECORD_MAX_BYTES=%lld\n", 3 * largest);
    append_env(t, lines);
    assert_int_equal(ts_stack_restart_relay(&t->stack), 0);
    long long first_kept = segs[n - 1].id;
    sleep_ms(4000);
    n = list(t, "/api/segments", segs, LIST_MAX);
    assert_true(n >= 2);
    /* What is left is the newest: a run of the last ids, ending with the one being written. */
    long long total = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0)
            assert_true(segs[i].id > segs[i - 1].id);
        total += segs[i].is_recording ? 0 : segs[i].bytes;
    }
    assert_true(segs[n - 1].is_recording);
    assert_true(segs[0].id > first_kept - 3);
    assert_true(total <= 3 * largest);
    /* Deleted oldest first: the log names them in rising order. */
    char *log = ts_file_read(t->stack.relay_log, 1 << 20);
    assert_non_null(log);
    long long last = 0;
    int deleted = 0;
    for (const char *p = strstr(log, "deleted recording "); p != NULL;
         p = strstr(p + 1, "deleted recording ")) {
        long long id = atoll(p + strlen("deleted recording "));
        assert_true(id > last);
        last = id;
        deleted++;
        for (int i = 0; i < n; i++)
            assert_true(segs[i].id != id);
    }
    free(log);
    assert_true(deleted >= 3);
}

/* 1 if the camera's timelapse folder holds `name`. */
static int has_file(struct rec_test *t, const char *name)
{
    char path[900];
    snprintf(path, sizeof(path), "%s/cam/timelapse/%s", t->rec, name);
    return access(path, F_OK) == 0;
}

/* Wait until the timelapse being written holds `frames` frames; returns its entry's index. */
static int wait_timelapse_frames(struct rec_test *t, int frames, struct entry *tl)
{
    for (int i = 0; i < 80; i++) {
        int n = list(t, "/api/timelapse", tl, LIST_MAX);
        if (n > 0 && tl[n - 1].is_recording && tl[n - 1].frames >= frames)
            return n - 1;
        sleep_ms(250);
    }
    ts_proc_print_log(t->stack.relay_log, 30);
    fail_msg("no timelapse of %d frames", frames);
    return -1;
}

/* A finished timelapse file: ffprobe counts the listed frames, 40 ms apart (25 fps). */
static void check_timelapse(struct rec_test *t, const struct entry *e)
{
    struct probed p;
    check_playable(t, e, &p);
    print_message("timelapse %lld: %d frames, %.3f .. %.3f s, steps %.3f .. %.3f s\n", e->id,
                  p.frames, p.first_s, p.last_s, p.min_step_s, p.max_step_s);
    assert_true(p.frames >= 2);
    assert_true(p.min_step_s > 0.0395 && p.max_step_s < 0.0405);
    /* One frame a second of real time went into it. */
    assert_true(e->end_ms - e->start_ms >= (p.frames - 1) * 1000 - 100);
}

static void test_recording_timelapse_survives_restart_and_crash(void **state)
{
    struct rec_test *t = *state;
    start(t, "RECORD_TIMELAPSE_S=1\n");
    struct entry tl[LIST_MAX];
    int growing = wait_timelapse_frames(t, 4, tl);
    /* Today's file downloads before it is finished: the frames written so far, 40 ms apart. */
    char path[700];
    download(t, "", tl[growing].id, path, sizeof(path));
    struct probed so_far;
    int rc = probe(t, path, &so_far);
    if (rc != -ENOENT) {
        assert_int_equal(rc, 0);
        print_message("today's timelapse so far: %d frames\n", so_far.frames);
        assert_true(so_far.frames >= 2);
        assert_true(so_far.min_step_s > 0.0395 && so_far.max_step_s < 0.0405);
    }
    char day[16];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    char part[64], final[64];
    snprintf(part, sizeof(part), ".%s.mkv.part", day);
    assert_true(has_file(t, part));
    /* A restart finishes the day's file; the same day goes on in a second one. */
    assert_int_equal(ts_stack_restart_relay(&t->stack), 0);
    int n = list(t, "/api/timelapse", tl, LIST_MAX);
    assert_true(n >= 1);
    assert_false(tl[0].is_recording);
    check_timelapse(t, &tl[0]);
    snprintf(final, sizeof(final), "%s.mkv", day);
    assert_true(has_file(t, final));
    int cur = wait_timelapse_frames(t, 3, tl);
    assert_true(tl[cur].id != tl[0].id);
    snprintf(part, sizeof(part), ".%s-2.mkv.part", day);
    assert_true(has_file(t, part));
    /* kill -9: the second file is recovered, listed finished, and plays. */
    restart_after_kill(t, 3);
    long long cut = tl[cur].id;
    n = list(t, "/api/timelapse", tl, LIST_MAX);
    int found = 0;
    for (int i = 0; i < n; i++) {
        if (tl[i].is_recording)
            continue;
        check_timelapse(t, &tl[i]);
        found += tl[i].id == cut;
    }
    if (found != 1)
        ts_proc_print_log(t->stack.relay_log, 40);
    assert_int_equal(found, 1);
    snprintf(final, sizeof(final), "%s-2.mkv", day);
    assert_true(has_file(t, final));
}

static void test_recording_full_disk_stops_segments_not_the_stream(void **state)
{
    struct rec_test *t = *state;
    if (mount("lookout-test", t->rec, "tmpfs", MS_NOSUID | MS_NODEV, "size=24m,mode=0700") != 0) {
        fprintf(stderr, "recording: cannot mount a small tmpfs (%s, needs root): skipped\n",
                strerror(errno));
        skip();
        return;
    }
    t->is_mounted = 1;
    start(t, "RECORD_SEGMENT_S=1\nRECORD_MIN_FREE_BYTES=0\nRECORD_MAX_AGE_S=0\n");
    struct entry segs[LIST_MAX];
    wait_done(t, "/api/segments", 1, segs, 15000);
    /* Fill the disk but ~1 MB: a segment (~300 KB a second) cannot fit for long. */
    char filler[700];
    snprintf(filler, sizeof(filler), "%s/filler", t->rec);
    struct statvfs vfs;
    assert_int_equal(statvfs(t->rec, &vfs), 0);
    off_t fill = (off_t)vfs.f_bavail * (off_t)vfs.f_frsize - (1 << 20);
    int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(posix_fallocate(fd, 0, fill), 0);
    close(fd);
    if (ts_proc_wait_log(t->stack.relay_log, "segments stopped: the disk of RECORD_DIR is full",
                         30000, NULL, 0) != 0) {
        ts_proc_print_log(t->stack.relay_log, 30);
        fail_msg("no disk-full line");
    }
    /* Said once, not at every frame (the index may be the first to find the disk full). */
    char *log = ts_file_read(t->stack.relay_log, 1 << 20);
    assert_non_null(log);
    int starts = 0;
    for (const char *p = log; (p = strstr(p, "cannot start a segments file")) != NULL; p++)
        starts++;
    free(log);
    assert_true(starts <= 1);
    /* The live stream goes on. */
    char *status;
    assert_int_equal(get(t, "/api/status", &status), 200);
    free(status);
    struct ts_stream *live =
        ts_stream_open(t->stack.relay_port, "/mjpeg", t->stack.auth, HTTP_TIMEOUT_MS);
    assert_non_null(live);
    const uint8_t *jpeg;
    size_t len;
    for (int i = 0; i < 20; i++)
        assert_int_equal(ts_stream_next_frame(live, HTTP_TIMEOUT_MS, &jpeg, &len), 0);
    ts_stream_close(live);
    /* Only finished, playable segments are listed; none is cut short by the full disk. */
    int n = list(t, "/api/segments", segs, LIST_MAX);
    for (int i = 0; i < n; i++) {
        struct probed p;
        if (!segs[i].is_recording)
            check_playable(t, &segs[i], &p);
    }
    char *metrics;
    assert_int_equal(get(t, "/metrics", &metrics), 200);
    assert_null(strstr(metrics, "lookout_recording_disk_full_total{camera=\"cam\"} 0"));
    assert_non_null(strstr(metrics, "lookout_recording_stopped{camera=\"cam\"} 1"));
    free(metrics);
    /* Space returns: segments begin again. */
    int before = n;
    assert_int_equal(unlink(filler), 0);
    assert_int_equal(
        ts_proc_wait_log(t->stack.relay_log, "continuous recording resumes", 15000, NULL, 0), 0);
    wait_done(t, "/api/segments", before + 2, segs, 15000);
}

/* Write dir/cameras/NAME.env with text. */
/* A damaged index (events.db overwritten) does not stop the relay: it is moved aside, kept,
 * and rebuilt from the recordings, which are listed again. */
static void test_recording_a_damaged_index_is_rebuilt(void **state)
{
    struct rec_test *t = *state;
    start(t, "RECORD_SEGMENT_S=1\nRECORD_MIN_FREE_BYTES=0\n");
    struct entry segs[LIST_MAX];
    wait_done(t, "/api/segments", 2, segs, 20000);
    kill_relay(t);
    char db[700], wal[710];
    snprintf(db, sizeof(db), "%s/events.db", t->rec);
    snprintf(wal, sizeof(wal), "%s/events.db-wal", t->rec);
    unlink(wal);
    static const char junk[] = "this is not a database, it is what a bad SD card leaves behind\n";
    FILE *f = fopen(db, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs(junk, f);
    assert_int_equal(fclose(f), 0);
    start_relay_again(t, 2);
    assert_int_equal(ts_proc_wait_log(t->stack.relay_log, "moved aside", 10000, NULL, 0), 0);
    int n = wait_done(t, "/api/segments", 2, segs, 20000);
    print_message("after the damaged index: %d segments listed\n", n);
    /* The damaged file is kept beside, for a look. */
    char cmd[800];
    snprintf(cmd, sizeof(cmd), "%s", t->rec);
    char *argv[] = {"/usr/bin/find", cmd, "-maxdepth", "1", "-name", "events.db.broken-*", NULL};
    char log[700];
    snprintf(log, sizeof(log), "%s/find-broken.log", t->dir);
    assert_int_equal(ts_run(argv, NULL, log, 10000), 0);
    char *found = ts_file_read(log, 4096);
    assert_non_null(found);
    assert_non_null(strstr(found, "events.db.broken-"));
    free(found);
}

/* The path of the first finished segment file under the camera's segments folder, into out. */
static void find_segment_file(struct rec_test *t, char *out, size_t size)
{
    char cmd[800];
    snprintf(cmd, sizeof(cmd), "%s/cam/segments", t->rec);
    char *argv[] = {"/usr/bin/find", cmd, "-name", "[0-9]*.mkv", "-print", "-quit", NULL};
    char log[700];
    snprintf(log, sizeof(log), "%s/find.log", t->dir);
    assert_int_equal(ts_run(argv, NULL, log, 10000), 0);
    char *found = ts_file_read(log, 4096);
    assert_non_null(found);
    found[strcspn(found, "\n")] = '\0';
    assert_true(found[0] != '\0');
    snprintf(out, size, "%s", found);
    free(found);
}

/* The JSON's "next_from", or -1 if the list was not cut. */
static long long next_from(const char *body)
{
    if (strstr(body, "\"truncated\":true") == NULL) {
        assert_non_null(strstr(body, "\"truncated\":false"));
        return -1;
    }
    return field(body, "next_from");
}

/*
 * A day of 1200 segments (1 s each: what RECORD_SEGMENT_S=60 makes in 20 h) is listed in pages of
 * 1000: the first says it was cut and where the next starts; together they hold every one.
 * The files are hard links to one real segment, named for one day; the index is rebuilt from them.
 */
static void test_recording_a_long_list_comes_in_pages(void **state)
{
    struct rec_test *t = *state;
    start(t, "RECORD_SEGMENT_S=1\nRECORD_MIN_FREE_BYTES=0\n");
    struct entry segs[LIST_MAX];
    wait_done(t, "/api/segments", 1, segs, 20000);
    char real[1024];
    find_segment_file(t, real, sizeof(real));
    kill_relay(t);
    enum { PLANTED = 1200 };
    const time_t day = (time(NULL) / 86400 - 2) * 86400; /* two days ago, 00:00 UTC */
    struct tm tm;
    gmtime_r(&day, &tm);
    char dir[800], path[900], db[700];
    snprintf(dir, sizeof(dir), "%s/cam/segments/%04d-%02d-%02d", t->rec, tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday);
    assert_int_equal(mkdir(dir, 0700), 0);
    for (int i = 0; i < PLANTED; i++) {
        snprintf(path, sizeof(path), "%s/%02d%02d%02d.mkv", dir, i / 3600, i / 60 % 60, i % 60);
        assert_int_equal(link(real, path), 0);
    }
    for (const char *suffix = ""; suffix != NULL; suffix = suffix[0] == '\0'  ? "-wal"
                                                           : suffix[1] == 'w' ? "-shm"
                                                                              : NULL) {
        snprintf(db, sizeof(db), "%s/events.db%s", t->rec, suffix);
        unlink(db);
    }
    start_relay_again(t, 2);
    char url[128], *body;
    long long from_ms = (long long)day * 1000, to_ms = from_ms + 86400000LL - 1;
    snprintf(url, sizeof(url), "/api/segments?from=%lld&to=%lld", from_ms, to_ms);
    assert_int_equal(get(t, url, &body), 200);
    static struct entry page[1100];
    int n1 = list(t, url, page, 1100);
    long long next = next_from(body);
    free(body);
    assert_int_equal(n1, 1000);
    assert_true(next > page[999].start_ms - 1 && next <= to_ms);
    static long long first_ids[1000];
    for (int i = 0; i < 1000; i++)
        first_ids[i] = page[i].id;
    snprintf(url, sizeof(url), "/api/segments?from=%lld&to=%lld", next, to_ms);
    assert_int_equal(get(t, url, &body), 200);
    assert_int_equal(next_from(body), -1);
    free(body);
    int n2 = list(t, url, page, 1100);
    /* The second page starts where the first was cut (an entry at the cut may repeat). */
    int fresh = 0;
    for (int i = 0; i < n2; i++) {
        int is_repeat = 0;
        for (int j = 0; j < 1000 && !is_repeat; j++)
            is_repeat = first_ids[j] == page[i].id;
        fresh += !is_repeat;
    }
    print_message("%d planted segments: pages of %d and %d (%d new)\n", PLANTED, n1, n2, fresh);
    assert_int_equal(1000 + fresh, PLANTED);
}

static void camera_file(struct rec_test *t, const char *name, const char *text)
{
    char dir[600], file[64], path[700];
    snprintf(dir, sizeof(dir), "%s/cameras", t->dir);
    mkdir(dir, 0700);
    snprintf(file, sizeof(file), "%s.env", name);
    assert_int_equal(ts_file_write(dir, file, text, path, sizeof(path)), 0);
}

static void test_recording_camera_files_choose_per_camera(void **state)
{
    struct rec_test *t = *state;
    char extra[800];
    snprintf(extra, sizeof(extra), "CAMERAS_DIR=%s/cameras\n", t->dir);
    camera_file(t, "placeholder", "CAM_URL=http://127.0.0.1:9/mjpeg\nRECORD=off\n");
    start(t, extra);
    /* Two more cameras on the same simulated one: the yard records segments, the porch not at
     * all; the main camera (no RECORD_SEGMENT_S) only events. */
    char text[400];
    snprintf(text, sizeof(text),
             "TITLE=Yard\nCAM_URL=http://127.0.0.1:%u/mjpeg\nRECORD_SEGMENT_S=2\n"
             "RECORD_QUIET_MS=1500\n",
             (unsigned)t->stack.stream_port);
    camera_file(t, "yard", text);
    snprintf(text, sizeof(text), "CAM_URL=http://127.0.0.1:%u/mjpeg\nRECORD=off\n",
             (unsigned)t->stack.stream_port);
    camera_file(t, "porch", text);
    kill(t->stack.relay_pid, SIGHUP);
    assert_int_equal(ts_proc_wait_log(t->stack.relay_log, "camera yard: online", 10000, NULL, 0),
                     0);
    struct entry segs[LIST_MAX];
    int n = wait_done(t, "/c/yard/api/segments", 2, segs, 20000);
    struct probed p;
    for (int i = 0; i < n; i++) {
        if (!segs[i].is_recording)
            check_camera_playable(t, "/c/yard", &segs[i], &p);
    }
    assert_int_equal(list(t, "/api/segments", segs, LIST_MAX), 0);
    assert_int_equal(list(t, "/c/porch/api/segments", segs, LIST_MAX), 0);
    char *body;
    assert_int_equal(get(t, "/c/porch/api/motion", &body), 404);
    assert_non_null(strstr(body, "not guarded"));
    free(body);
    assert_int_equal(get(t, "/c/yard/api/motion", &body), 200);
    free(body);
    assert_int_equal(
        ts_proc_wait_log(t->stack.relay_log, "camera porch: RECORD=off", 1000, NULL, 0), 0);
    char path[800];
    snprintf(path, sizeof(path), "%s/porch", t->rec);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof(path), "%s/cam/segments", t->rec);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_recording_check_config_names_a_bad_camera_value(void **state)
{
    struct rec_test *t = *state;
    char env[800], envp[600], log[600], relay[512];
    snprintf(env, sizeof(env),
             "HTTP_AUTH_USERNAME=alice\nHTTP_AUTH_PASSWORD=s3cret-pass\n"
             "CAM_URL=http://127.0.0.1:9/mjpeg\nRECORD_DIR=%s\nCAMERAS_DIR=%s/cameras\n",
             t->rec, t->dir);
    assert_int_equal(ts_file_write(t->dir, "check.env", env, envp, sizeof(envp)), 0);
    camera_file(t, "yard",
                "CAM_URL=http://127.0.0.1:9/mjpeg\nRECORD_SEGMENT_S=1h\nRECORD=maybe\n"
                "RECORD_MAX_BYTES=1000\nRECORD_TIMELAPSE_S=60\n");
    snprintf(log, sizeof(log), "%s/check.log", t->dir);
    snprintf(relay, sizeof(relay), "%s/lookout", ts_bin_dir());
    char *argv[] = {relay, "--check-config", "--env", envp, NULL};
    assert_int_equal(ts_run(argv, ts_stack_clean_env, log, 10000), 1);
    char *out = ts_file_read(log, 65536);
    assert_non_null(out);
    print_message("%s", out);
    assert_non_null(strstr(out, "yard.env:2: RECORD_SEGMENT_S: expected a whole number from 0 "
                                "to 86400, got \"1h\""));
    assert_non_null(strstr(out, "yard.env:3: RECORD: expected on or off"));
    assert_non_null(strstr(out, "yard.env:4: RECORD_MAX_BYTES: a relay-wide setting"));
    assert_null(strstr(out, "RECORD_TIMELAPSE_S"));
    free(out);
    /* Segments without RECORD_DIR: a warning at its line, not an error. */
    snprintf(env, sizeof(env),
             "HTTP_AUTH_USERNAME=alice\nHTTP_AUTH_PASSWORD=s3cret-pass\n"
             "CAM_URL=http://127.0.0.1:9/mjpeg\nRECORD_SEGMENT_S=60\n");
    assert_int_equal(ts_file_write(t->dir, "nodir.env", env, envp, sizeof(envp)), 0);
    argv[3] = envp;
    assert_int_equal(ts_run(argv, ts_stack_clean_env, log, 10000), 0);
    out = ts_file_read(log, 65536);
    assert_non_null(out);
    assert_non_null(strstr(
        out, "nodir.env:4: RECORD_SEGMENT_S: set, but RECORD_DIR is not: nothing is recorded"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_recording_segments_follow_each_other_and_play, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_recording_kill_9_leaves_only_playable_segments, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_recording_retention_deletes_the_oldest_never_the_current, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recording_timelapse_survives_restart_and_crash, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_recording_full_disk_stops_segments_not_the_stream,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_recording_a_long_list_comes_in_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recording_a_damaged_index_is_rebuilt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recording_camera_files_choose_per_camera, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_recording_check_config_names_a_bad_camera_value, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Guarding on loopback: lookout-cam (its simulated intruder and lamp) and a relay recording into
 * a temporary RECORD_DIR. An intruder makes exactly one event with its pre-roll, which ffprobe
 * reads at the source's pace; a pan and a lighting step make none; a second intruder during an
 * event extends it; kill -9 while recording leaves only playable events after a restart; a full
 * disk (a small tmpfs, when the test may mount one) stops recording and not the stream; a replay
 * closes once its viewer's camera list no longer names the camera.
 *
 * Every wait is bounded; nothing asserts on timing except where the behaviour is about time
 * (the event starts within a few frames of the intruder), with generous bounds.
 */
#include <crypt.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/http.h"
#include "../support/json.h"
#include "../support/proc.h"
#include "../support/run.h"
#include "../support/stack.h"
#include "../support/stream.h"
#include "../support/tmpdir.h"

#define HTTP_TIMEOUT_MS 5000
#define FPS 10

struct guard {
    char *dir;
    char rec[600];
    struct ts_stack stack;
    int is_mounted;
};

static const char base_env[] = "RECORD_QUIET_MS=2000\nRECORD_PREROLL_MS=1000\n"
                               "MOTION_SETTLE_MS=1000\nRECORD_CHECK_INTERVAL_MS=500\n";

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Start the stack recording into g->rec with extra .env lines. */
static void start(struct guard *g, const char *extra)
{
    char env[2048];
    snprintf(env, sizeof(env), "RECORD_DIR=%s\n%s%s", g->rec, base_env, extra ? extra : "");
    assert_int_equal(ts_stack_start(&g->stack, g->dir, FPS, env), 0);
    /* The detector learns the scene from the first frames. */
    assert_int_equal(ts_proc_wait_log(g->stack.relay_log, "camera cam: online", 10000, NULL, 0), 0);
    sleep_ms(2000);
}

static int setup(void **state)
{
    struct guard *g = calloc(1, sizeof(*g));
    g->dir = ts_tmpdir_new();
    snprintf(g->rec, sizeof(g->rec), "%s/rec", g->dir);
    mkdir(g->rec, 0700);
    *state = g;
    return 0;
}

static int teardown(void **state)
{
    struct guard *g = *state;
    ts_stack_stop(&g->stack);
    if (g->is_mounted)
        umount2(g->rec, MNT_DETACH);
    ts_tmpdir_free(g->dir);
    free(g);
    return 0;
}

static void sim(struct guard *g, const char *path)
{
    struct ts_http_response r = {0};
    assert_int_equal(
        ts_http_request(g->stack.control_port, "POST", path, NULL, NULL, HTTP_TIMEOUT_MS, &r), 200);
    ts_http_response_deinit(&r);
}

/* GET path from the relay as alice; returns the body (caller frees) and asserts the status. */
static char *get(struct guard *g, const char *path, int want_status)
{
    struct ts_http_response r = {0};
    int status =
        ts_http_request(g->stack.relay_port, "GET", path, g->stack.auth, NULL, HTTP_TIMEOUT_MS, &r);
    assert_int_equal(status, want_status);
    char *body = strdup((const char *)r.body);
    ts_http_response_deinit(&r);
    return body;
}

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Wait until the list holds `events` events, none of them still recording; returns the list. */
static char *wait_events(struct guard *g, int events, int timeout_ms)
{
    char *list = NULL;
    for (int waited = 0; waited <= timeout_ms; waited += 250) {
        free(list);
        list = get(g, "/api/events", 200);
        if (count(list, "\"id\":") == events && strstr(list, "\"recording\":true") == NULL)
            return list;
        sleep_ms(250);
    }
    fprintf(stderr, "guard: events now: %s\n", list);
    ts_proc_print_log(g->stack.relay_log, 30);
    fail_msg("expected %d finished events", events);
    return list;
}

/* ffprobe a recording: frames read and the packets' timestamps (first, last, count). */
static int probe(struct guard *g, const char *file, int *frames, double *first_s, double *last_s)
{
    char ffprobe[512], log[700];
    if (ts_which("ffprobe", ffprobe, sizeof(ffprobe)) < 0)
        return -ENOENT;
    snprintf(log, sizeof(log), "%s/ffprobe.log", g->dir);
    unlink(log);
    char *argv[] = {ffprobe,           "-v",  "error",   "-select_streams", "v:0", "-show_entries",
                    "packet=pts_time", "-of", "csv=p=0", (char *)file,      NULL};
    if (ts_run(argv, NULL, log, 20000) != 0)
        return -EPROTO;
    char *out = ts_file_read(log, 1 << 20);
    if (out == NULL)
        return -EIO;
    *frames = 0;
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        double t = atof(line);
        if (*frames == 0)
            *first_s = t;
        *last_s = t;
        (*frames)++;
    }
    free(out);
    return 0;
}

/* The file of event `id` in the camera's folder (by its name ev-ID-...). */
static void event_file(struct guard *g, int id, char *out, size_t size)
{
    char cmd[900], prefix[32];
    snprintf(prefix, sizeof(prefix), "ev-%d-", id);
    snprintf(cmd, sizeof(cmd), "%s/cam", g->rec);
    out[0] = '\0';
    FILE *p = NULL;
    snprintf(cmd, sizeof(cmd), "ls %s/cam/", g->rec);
    p = popen(cmd, "r");
    char line[256];
    while (p != NULL && fgets(line, sizeof(line), p) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        size_t n = strlen(line);
        if (strncmp(line, prefix, strlen(prefix)) == 0 && n > 4 &&
            strcmp(line + n - 4, ".mkv") == 0)
            snprintf(out, size, "%s/cam/%s", g->rec, line);
    }
    if (p != NULL)
        pclose(p);
}

static void test_guard_intruder_makes_one_event_with_preroll(void **state)
{
    struct guard *g = *state;
    start(g, NULL);
    int64_t t0 = now_ms();
    sim(g, "/sim/intruder?seconds=3");
    char *list = wait_events(g, 1, 15000);
    double id, start_ms, end_ms, frames;
    assert_int_equal(ts_json_number(list, "id", &id), 0);
    assert_int_equal(ts_json_number(list, "start_ms", &start_ms), 0);
    assert_int_equal(ts_json_number(list, "end_ms", &end_ms), 0);
    assert_int_equal(ts_json_number(list, "frames", &frames), 0);
    free(list);
    /* The figure enters the picture about 0.3 s after it starts walking: a few frames. */
    assert_true(start_ms >= (double)t0 && start_ms <= (double)t0 + 1500);
    char file[1024];
    event_file(g, (int)id, file, sizeof(file));
    assert_true(file[0] != '\0');
    int probed;
    double first_s, last_s;
    int rc = probe(g, file, &probed, &first_s, &last_s);
    if (rc == -ENOENT) {
        skip();
        return;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(probed, (int)frames);
    /* Pre-roll: the recording begins before the first moving frame (~1 s of it). */
    double recorded_s = last_s - first_s, event_s = (end_ms - start_ms) / 1000.0;
    assert_true(recorded_s - event_s >= 0.5);
    /* The timestamps are the source's pace: 10 frames a second. */
    double per_frame_ms = recorded_s * 1000 / (probed - 1);
    assert_true(per_frame_ms > 70 && per_frame_ms < 140);
    /* The API serves the thumbnail, the file and a replay. */
    char path[128];
    snprintf(path, sizeof(path), "/api/events/%d/thumbnail.jpg", (int)id);
    free(get(g, path, 200));
    snprintf(path, sizeof(path), "/api/events/%d/play.mjpeg?t=1", (int)id);
    struct ts_stream *s = ts_stream_open(g->stack.relay_port, path, g->stack.auth, HTTP_TIMEOUT_MS);
    assert_non_null(s);
    const uint8_t *jpeg;
    size_t len;
    for (int i = 0; i < 5; i++)
        assert_int_equal(ts_stream_next_frame(s, HTTP_TIMEOUT_MS, &jpeg, &len), 0);
    ts_stream_close(s);
    char *metrics = get(g, "/metrics", 200);
    assert_non_null(strstr(metrics, "lookout_events_total{camera=\"cam\"} 1"));
    free(metrics);
    /* Bad detector settings: a 400 with the reason, and nothing changes. */
    const char *bad[][2] = {{"/api/motion/save?sensitivity=0", "sensitivity"},
                            {"/api/motion/save?sensitivity=abc", "sensitivity"},
                            {"/api/motion/save?masks=1,2,3", "masks"},
                            {"/api/motion/save?masks=900,0,200,10", "mask"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ts_http_response r = {0};
        assert_int_equal(ts_http_request(g->stack.relay_port, "POST", bad[i][0], g->stack.auth,
                                         NULL, HTTP_TIMEOUT_MS, &r),
                         400);
        assert_non_null(strstr((const char *)r.body, bad[i][1]));
        ts_http_response_deinit(&r);
    }
    char *settings = get(g, "/api/motion", 200);
    assert_non_null(strstr(settings, "\"sensitivity\":50,\"masks\":[]"));
    free(settings);
}

/* USERS_FILE with vic, a viewer who may see `cameras`. */
static void write_vic(struct guard *g, const char *cameras, char *path, size_t path_size)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE], line[512];
    struct crypt_data data;
    memset(&data, 0, sizeof(data));
    assert_non_null(crypt_gensalt_rn("$5$", 1000, NULL, 0, salt, sizeof(salt)));
    const char *hash = crypt_r("vics-password", salt, &data);
    assert_true(hash != NULL && hash[0] == '$');
    snprintf(line, sizeof(line), "vic:%s:viewer:%s\n", hash, cameras);
    assert_int_equal(ts_file_write(g->dir, "users", line, path, path_size), 0);
}

/* A replay is a stream too: it closes when its viewer may no longer see the camera. */
static void test_guard_replay_closes_when_the_camera_list_shrinks(void **state)
{
    struct guard *g = *state;
    char users[600], env[800], vic[256];
    write_vic(g, "cam", users, sizeof(users));
    snprintf(env, sizeof(env), "USERS_FILE=%s\n", users);
    start(g, env);
    sim(g, "/sim/intruder?seconds=6");
    char *list = wait_events(g, 1, 25000);
    double id;
    assert_int_equal(ts_json_number(list, "id", &id), 0);
    free(list);
    assert_true(ts_basic_auth_header("vic", "vics-password", vic, sizeof(vic)) > 0);
    char path[128];
    snprintf(path, sizeof(path), "/api/events/%d/play.mjpeg", (int)id);
    struct ts_stream *s = ts_stream_open(g->stack.relay_port, path, vic, HTTP_TIMEOUT_MS);
    assert_non_null(s);
    const uint8_t *jpeg;
    size_t len;
    for (int i = 0; i < 2; i++)
        assert_int_equal(ts_stream_next_frame(s, HTTP_TIMEOUT_MS, &jpeg, &len), 0);
    /* The recording lasts about 9 s; vic loses the camera after 0.2 s of it. */
    write_vic(g, "garage", NULL, 0);
    assert_int_equal(ts_proc_wait_log(g->stack.relay_log,
                                      "replay of camera cam closed: its viewer may no longer see",
                                      HTTP_TIMEOUT_MS, NULL, 0),
                     0);
    int rc = 0;
    for (int i = 0; i < 200 && (rc = ts_stream_next_frame(s, HTTP_TIMEOUT_MS, &jpeg, &len)) == 0;
         i++)
        ;
    ts_stream_close(s);
    assert_true(rc != 0 && rc != -ETIMEDOUT);
    /* And the next one is refused as for a camera that does not exist. */
    struct ts_http_response r = {0};
    assert_int_equal(
        ts_http_request(g->stack.relay_port, "GET", path, vic, NULL, HTTP_TIMEOUT_MS, &r), 404);
    ts_http_response_deinit(&r);
}

static void test_guard_pan_and_light_make_no_event(void **state)
{
    struct guard *g = *state;
    start(g, NULL);
    struct ts_http_response r = {0};
    assert_int_equal(ts_http_request(g->stack.relay_port, "POST", "/api/move?tr=30", g->stack.auth,
                                     NULL, HTTP_TIMEOUT_MS, &r),
                     200);
    ts_http_response_deinit(&r);
    sleep_ms(3500);
    sim(g, "/sim/light?percent=140");
    sleep_ms(2000);
    sim(g, "/sim/light?percent=60");
    sleep_ms(2000);
    assert_int_equal(ts_http_request(g->stack.relay_port, "POST", "/api/move?tr=-30", g->stack.auth,
                                     NULL, HTTP_TIMEOUT_MS, &r),
                     200);
    ts_http_response_deinit(&r);
    sleep_ms(3500);
    char *list = get(g, "/api/events", 200);
    assert_int_equal(count(list, "\"id\":"), 0);
    free(list);
    /* The detector did look at the frames in between. */
    char *metrics = get(g, "/metrics", 200);
    double checked = 0;
    char *p = strstr(metrics, "lookout_motion_frames_checked_total{camera=\"cam\"} ");
    assert_non_null(p);
    checked = atof(p + strlen("lookout_motion_frames_checked_total{camera=\"cam\"} "));
    assert_true(checked > 20); /* MOTION_MAX_FPS 5 over ~11 s, pauses left out */
    free(metrics);
}

static void test_guard_intruder_during_an_event_extends_it(void **state)
{
    struct guard *g = *state;
    start(g, NULL);
    sim(g, "/sim/intruder?seconds=2");
    sleep_ms(3000); /* gone for ~1 s: less than RECORD_QUIET_MS */
    sim(g, "/sim/intruder?seconds=2");
    char *list = wait_events(g, 1, 15000);
    double start_ms, end_ms;
    assert_int_equal(ts_json_number(list, "start_ms", &start_ms), 0);
    assert_int_equal(ts_json_number(list, "end_ms", &end_ms), 0);
    assert_true(end_ms - start_ms >= 3500);
    free(list);
}

static void test_guard_kill_9_leaves_only_playable_events(void **state)
{
    struct guard *g = *state;
    start(g, NULL);
    sim(g, "/sim/intruder?seconds=8");
    char *list = NULL;
    for (int i = 0; i < 40; i++) {
        free(list);
        list = get(g, "/api/events", 200);
        if (strstr(list, "\"recording\":true") != NULL)
            break;
        sleep_ms(250);
    }
    assert_non_null(strstr(list, "\"recording\":true"));
    free(list);
    sleep_ms(2000); /* a few clusters on disk */
    kill(g->stack.relay_pid, SIGKILL);
    assert_int_equal(ts_proc_stop(g->stack.relay_pid), 128 + SIGKILL);
    g->stack.relay_pid = 0;
    char relay_bin[512];
    snprintf(relay_bin, sizeof(relay_bin), "%s/lookout", ts_bin_dir());
    char *argv[] = {relay_bin, "--env", g->stack.env_path, "--listen", "127.0.0.1:0", NULL};
    char log[512];
    if (snprintf(log, sizeof(log), "%s/lookout-2.log", g->dir) >= (int)sizeof(log))
        fail_msg("path too long");
    int port = ts_proc_start_port("guard", argv, ts_stack_clean_env, log, "listening on http://",
                                  10000, &g->stack.relay_pid);
    assert_true(port > 0);
    g->stack.relay_port = (uint16_t)port;
    snprintf(g->stack.relay_log, sizeof(g->stack.relay_log), "%s", log);
    /* The interrupted event was recovered (or removed); once the intruder is gone, every
     * event listed plays (a new one may have begun after the restart). */
    list = get(g, "/api/events", 200);
    for (int i = 0; i < 60 && strstr(list, "\"recording\":true") != NULL; i++) {
        sleep_ms(250);
        free(list);
        list = get(g, "/api/events", 200);
    }
    assert_null(strstr(list, "\"recording\":true"));
    int checked = 0;
    for (const char *p = strstr(list, "\"id\":"); p != NULL; p = strstr(p + 1, "\"id\":")) {
        int id = atoi(p + 5);
        char file[1024];
        event_file(g, id, file, sizeof(file));
        assert_true(file[0] != '\0');
        int frames;
        double a, b;
        int rc = probe(g, file, &frames, &a, &b);
        assert_true(rc == 0 || rc == -ENOENT);
        if (rc == 0)
            assert_true(frames > 0);
        checked++;
    }
    assert_true(checked <= 2);
    free(list);
    char part[900];
    snprintf(part, sizeof(part), "%s/cam/.ev-1.mkv.part", g->rec);
    assert_int_equal(access(part, F_OK), -1);
}

static void test_guard_full_disk_stops_recording_not_the_stream(void **state)
{
    struct guard *g = *state;
    if (mount("lookout-test", g->rec, "tmpfs", MS_NOSUID | MS_NODEV, "size=24m,mode=0700") != 0) {
        fprintf(stderr,
                "guard: cannot mount a small tmpfs (%s, needs root): full-disk case "
                "skipped\n",
                strerror(errno));
        skip();
        return;
    }
    g->is_mounted = 1;
    start(g, "RECORD_MIN_FREE_BYTES=0\nRECORD_MAX_AGE_S=0\n");
    /* Fill the disk but ~1 MB: a recording of a few seconds cannot fit. */
    char filler[700];
    snprintf(filler, sizeof(filler), "%s/filler", g->rec);
    struct statvfs vfs;
    assert_int_equal(statvfs(g->rec, &vfs), 0);
    off_t fill = (off_t)vfs.f_bavail * (off_t)vfs.f_frsize - (1 << 20);
    int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(posix_fallocate(fd, 0, fill), 0);
    close(fd);
    sim(g, "/sim/intruder?seconds=8");
    assert_int_equal(
        ts_proc_wait_log(g->stack.relay_log, "the disk of RECORD_DIR is full", 15000, NULL, 0), 0);
    /* The live stream goes on at the camera's rate. */
    struct ts_stream *s =
        ts_stream_open(g->stack.relay_port, "/mjpeg", g->stack.auth, HTTP_TIMEOUT_MS);
    assert_non_null(s);
    const uint8_t *jpeg;
    size_t len;
    for (int i = 0; i < 20; i++)
        assert_int_equal(ts_stream_next_frame(s, HTTP_TIMEOUT_MS, &jpeg, &len), 0);
    ts_stream_close(s);
    char *status = get(g, "/api/status", 200);
    double fps;
    assert_int_equal(ts_json_number(status, "fps", &fps), 0);
    assert_true(fps > FPS / 2);
    free(status);
    char *metrics = get(g, "/metrics", 200);
    assert_non_null(strstr(metrics, "lookout_recording_disk_full_total{camera=\"cam\"} 1"));
    free(metrics);
    /* No half-written event is listed. */
    sleep_ms(3000);
    char *list = get(g, "/api/events", 200);
    assert_null(strstr(list, "\"recording\":true"));
    free(list);
    /* Space returns: the next intruder is recorded again. */
    assert_int_equal(unlink(filler), 0);
    /* The unrecorded event ends first (the walker leaves, RECORD_QUIET_MS passes). */
    assert_int_equal(ts_proc_wait_log(g->stack.relay_log, "event 1 ends", 15000, NULL, 0), 0);
    sim(g, "/sim/intruder?seconds=2");
    assert_int_equal(ts_proc_wait_log(g->stack.relay_log, "disk space is back: recording resumes",
                                      15000, NULL, 0),
                     0);
    list = wait_events(g, 1, 15000);
    free(list);
}

static void test_guard_check_config_names_a_missing_record_dir(void **state)
{
    struct guard *g = *state;
    char env[800], envp[600], log[600], relay[512];
    snprintf(env, sizeof(env),
             "HTTP_AUTH_USERNAME=alice\nHTTP_AUTH_PASSWORD=s3cret-pass\n"
             "CAM_URL=http://127.0.0.1:9/mjpeg\nRECORD_DIR=%s/missing\n",
             g->dir);
    assert_int_equal(ts_file_write(g->dir, "check.env", env, envp, sizeof(envp)), 0);
    snprintf(log, sizeof(log), "%s/check.log", g->dir);
    snprintf(relay, sizeof(relay), "%s/lookout", ts_bin_dir());
    char *argv[] = {relay, "--check-config", "--env", envp, NULL};
    assert_int_equal(ts_run(argv, ts_stack_clean_env, log, 10000), 1);
    char *out = ts_file_read(log, 65536);
    assert_non_null(out);
    assert_non_null(strstr(out, "check.env:4: RECORD_DIR: "));
    assert_non_null(strstr(out, "missing: No such file or directory"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_guard_intruder_makes_one_event_with_preroll, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_guard_replay_closes_when_the_camera_list_shrinks,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_guard_pan_and_light_make_no_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_guard_intruder_during_an_event_extends_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_guard_kill_9_leaves_only_playable_events, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_guard_full_disk_stops_recording_not_the_stream, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_guard_check_config_names_a_missing_record_dir, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

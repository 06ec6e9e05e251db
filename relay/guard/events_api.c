/*
 * The guarding routes (docs/API.md, "Events"): the list of events by time range, one event, its
 * thumbnail and recording, a replay at the recorded pace (events_replay.c), deleting one
 * (operators), and the camera's motion settings (operators change them); and the continuous
 * recordings (continuous.h): the lists of segments and timelapse files, one, its file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "camera.h"
#include "clock.h"
#include "connlimit.h"
#include "event_index.h"
#include "events_camera.h"
#include "events_replay.h"
#include "events_store.h"
#include "relay.h"
#include "reply.h"
#include "routes.h"
#define LOG_TAG "events"
#include "log.h"

#define LIST_MAX 1000
#define DAY_MS 86400000LL

/* Guarding is off: one answer for every route. Returns 1 if it replied. */
static int refuse_off(struct evhttp_request *req, const struct route_ctx *ctx)
{
    if (ctx->relay->events != NULL)
        return 0;
    reply_text(req, 404, "recording is off: set RECORD_DIR to a directory");
    return 1;
}

/* The guard of the request's camera; replies 404 and returns NULL if there is none. */
static struct events_camera *guard_of(struct evhttp_request *req, const struct route_ctx *ctx)
{
    if (refuse_off(req, ctx))
        return NULL;
    for (size_t i = 0; i < ctx->relay->guard_count; i++) {
        if (events_camera_camera(ctx->relay->guards[i]) == ctx->camera)
            return ctx->relay->guards[i];
    }
    reply_text(req, 404, "this camera is not guarded");
    return NULL;
}

/* A whole number (optionally negative) filling all of text. Returns 0 or -EINVAL. */
static int parse_i64(const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (text[0] == '\0' || *end != '\0' || errno != 0)
        return -EINVAL;
    *out = v;
    return 0;
}

static void event_json(struct evbuffer *out, const struct event_record *r)
{
    long long id = (long long)r->id;
    evbuffer_add_printf(out,
                        "{\"id\":%lld,\"camera\":\"%s\",\"start_ms\":%lld,\"end_ms\":%lld,"
                        "\"peak_pct\":%.1f,\"frames\":%u,\"bytes\":%llu,\"recording\":%s,"
                        "\"thumbnail\":\"/api/events/%lld/thumbnail.jpg\","
                        "\"file\":\"/api/events/%lld/recording.mkv\","
                        "\"play\":\"/api/events/%lld/play.mjpeg\"}",
                        id, r->camera, (long long)r->start_unix_ms, (long long)r->end_unix_ms,
                        r->peak_pct, r->frames, (unsigned long long)r->bytes,
                        r->is_done ? "false" : "true", id, id, id);
}

/* The list's ?from=MS&to=MS (default: the last 24 h). Replies 400 and returns -1 if bad. */
static int parse_range(struct evhttp_request *req, int64_t *from, int64_t *to)
{
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    *to = clock_unix_ms() + 60000;
    *from = *to - DAY_MS - 60000;
    const char *v;
    int is_bad = query != NULL && evhttp_parse_query_str(query, &q) != 0;
    if (!is_bad && (v = evhttp_find_header(&q, "from")) != NULL)
        is_bad = parse_i64(v, from) < 0;
    if (!is_bad && (v = evhttp_find_header(&q, "to")) != NULL)
        is_bad = parse_i64(v, to) < 0;
    evhttp_clear_headers(&q);
    if (is_bad || *to < *from) {
        reply_text(req, 400, "from, to: unix times in milliseconds, from <= to");
        return -1;
    }
    return 0;
}

void events_api_list(struct evhttp_request *req, const struct route_ctx *ctx)
{
    int64_t from, to;
    if (refuse_off(req, ctx) || parse_range(req, &from, &to) < 0)
        return;
    struct event_record *recs = calloc(LIST_MAX, sizeof(*recs));
    struct evbuffer *body = evbuffer_new();
    int n = recs && body ? event_index_list(events_store_index(ctx->relay->events),
                                            camera_name(ctx->camera), from, to, recs, LIST_MAX)
                         : -ENOMEM;
    if (n < 0) {
        reply_text(req, 503, n == -ENOMEM ? "out of memory" : "the event index cannot be read");
    } else {
        evbuffer_add_printf(body, "{\"from\":%lld,\"to\":%lld,\"events\":[", (long long)from,
                            (long long)to);
        for (int i = 0; i < n; i++) {
            if (i > 0)
                evbuffer_add(body, ",", 1);
            event_json(body, &recs[i]);
        }
        evbuffer_add_printf(body, "]}\n");
        reply_json(req, 200, body);
    }
    free(recs);
    if (body != NULL)
        evbuffer_free(body);
}

/* The event of ctx->id, of this camera. Replies 404 and returns -1 if there is none. */
static int find_event(struct evhttp_request *req, const struct route_ctx *ctx,
                      struct event_record *out)
{
    if (refuse_off(req, ctx))
        return -1;
    if (event_index_get(events_store_index(ctx->relay->events), ctx->id, out) < 0 ||
        strcmp(out->camera, camera_name(ctx->camera)) != 0) {
        reply_text(req, 404, "no such event");
        return -1;
    }
    return 0;
}

void events_api_one(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct event_record rec;
    if (find_event(req, ctx, &rec) < 0)
        return;
    struct evbuffer *body = evbuffer_new();
    if (body != NULL) {
        event_json(body, &rec);
        evbuffer_add(body, "\n", 1);
    }
    reply_json(req, 200, body);
    if (body != NULL)
        evbuffer_free(body);
}

/* Send a file of the camera's folder (sendfile via evbuffer_add_file). */
static void send_file(struct evhttp_request *req, const struct route_ctx *ctx, const char *camera,
                      const char *name, const char *type, const char *download_name)
{
    char path[1400];
    if (name[0] == '\0' ||
        events_store_camera_dir(ctx->relay->events, camera, path, sizeof(path)) < 0 ||
        strlen(path) + strlen(name) + 2 > sizeof(path)) {
        reply_text(req, 404, "not recorded (yet)");
        return;
    }
    strcat(path, "/");
    strcat(path, name);
    /* Only a plain file of the folder (record_path.h): no link, and a FIFO must not block. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
    }
    struct evbuffer *body = evbuffer_new();
    if (fd < 0 || body == NULL || evbuffer_add_file(body, fd, 0, st.st_size) < 0) {
        if (fd >= 0)
            close(fd);
        reply_text(req, fd < 0 ? 404 : 503, fd < 0 ? "file missing" : "out of memory");
        if (body != NULL)
            evbuffer_free(body);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", type);
    evhttp_add_header(h, "Cache-Control", "private, max-age=3600");
    if (download_name != NULL) {
        char disp[160];
        snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", download_name);
        evhttp_add_header(h, "Content-Disposition", disp);
    }
    evhttp_send_reply(req, 200, "OK", body); /* the buffer owns fd now */
    evbuffer_free(body);
}

/* "lookout-CAMERA-KINDYYYYMMDD-HHMMSSZ-ID.mkv": a download's file name. */
static void download_name(const char *camera, const char *kind, int64_t start_unix_ms, int64_t id,
                          char *out, size_t size)
{
    time_t t = (time_t)(start_unix_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, size, "lookout-%s-%s%04d%02d%02d-%02d%02d%02dZ-%lld.mkv", camera, kind,
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (long long)id);
}

void events_api_thumbnail(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct event_record rec;
    if (find_event(req, ctx, &rec) == 0)
        send_file(req, ctx, rec.camera, rec.thumb, "image/jpeg", NULL);
}

void events_api_recording(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct event_record rec;
    if (find_event(req, ctx, &rec) < 0)
        return;
    char download[160];
    download_name(rec.camera, "", rec.start_unix_ms, rec.id, download, sizeof(download));
    send_file(req, ctx, rec.camera, rec.is_done ? rec.file : "", "video/x-matroska", download);
}

void events_api_play(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct event_record rec;
    if (find_event(req, ctx, &rec) < 0)
        return;
    if (!rec.is_done) {
        reply_text(req, 409, "the event is still being recorded");
        return;
    }
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    int64_t t_ms = 0;
    const char *v;
    int is_bad = query != NULL && evhttp_parse_query_str(query, &q) != 0;
    if (!is_bad && (v = evhttp_find_header(&q, "t")) != NULL) {
        char *end;
        double secs = strtod(v, &end);
        is_bad = v[0] == '\0' || *end != '\0' || !(secs >= 0 && secs < 86400);
        t_ms = is_bad ? 0 : (int64_t)(secs * 1000);
    }
    evhttp_clear_headers(&q);
    if (is_bad) {
        reply_text(req, 400, "t: seconds from the start of the recording, 0 to 86400");
        return;
    }
    char path[1400];
    events_store_camera_dir(ctx->relay->events, rec.camera, path, sizeof(path));
    if (strlen(path) + strlen(rec.file) + 2 > sizeof(path)) {
        reply_text(req, 404, "file missing");
        return;
    }
    strcat(path, "/");
    strcat(path, rec.file);
    /* The replay takes the connection over (its own close callback): connlimit must let go of
     * it first, or the replay's callback replaces connlimit's, which then keeps a connection
     * libevent has freed and frees it again at its deadline. A refusal below closes it. */
    connlimit_release(ctx->relay->connlimit, req);
    struct events_replay_viewer viewer = {ctx->relay->auth, &ctx->who, rec.camera};
    int rc = events_replay_start(ctx->relay->base, ctx->relay->events, req, path, t_ms, &viewer);
    if (rc < 0)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
    if (rc == -EBUSY)
        reply_text(req, 503, "too many replays at once; try again");
    else if (rc < 0)
        reply_text(req, 404, "the recording cannot be read");
}

void events_api_delete(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct event_record rec;
    if (find_event(req, ctx, &rec) < 0)
        return;
    int rc = events_store_delete(ctx->relay->events, rec.id);
    if (rc == -EBUSY) {
        reply_text(req, 409, "the event is still being recorded");
        return;
    }
    if (rc < 0) {
        reply_text(req, 500, "cannot delete the event; see the relay's log");
        return;
    }
    LOG_INFO("event %lld deleted by %s", (long long)rec.id, ctx->who.user);
    struct evbuffer *body = evbuffer_new();
    if (body != NULL)
        evbuffer_add_printf(body, "{\"deleted\":%lld}\n", (long long)rec.id);
    reply_json(req, 200, body);
    if (body != NULL)
        evbuffer_free(body);
}

static void reply_settings(struct evhttp_request *req, const struct route_ctx *ctx,
                           const struct events_camera *g)
{
    struct motion_settings s;
    events_camera_get_settings(g, &s);
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        reply_text(req, 503, "out of memory");
        return;
    }
    evbuffer_add_printf(body, "{\"camera\":\"%s\",\"sensitivity\":%u,\"masks\":[",
                        camera_name(ctx->camera), s.sensitivity);
    for (size_t i = 0; i < s.mask_count; i++)
        evbuffer_add_printf(body, "%s[%u,%u,%u,%u]", i ? "," : "", s.masks[i].x, s.masks[i].y,
                            s.masks[i].w, s.masks[i].h);
    evbuffer_add_printf(body, "]}\n");
    reply_json(req, 200, body);
    evbuffer_free(body);
}

void events_api_motion(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct events_camera *g = guard_of(req, ctx);
    if (g == NULL)
        return;
    reply_settings(req, ctx, g);
}

/* "x,y,w,h;x,y,w,h" (per-mille) into s's masks. Returns 0 or -EINVAL. */
static int parse_masks(const char *text, struct motion_settings *s)
{
    s->mask_count = 0;
    while (*text != '\0') {
        unsigned x, y, w, h;
        int used = 0;
        if (s->mask_count >= MOTION_MASKS_MAX ||
            sscanf(text, "%3u,%3u,%4u,%4u%n", &x, &y, &w, &h, &used) != 4 || text[0] == '-')
            return -EINVAL;
        s->masks[s->mask_count++] = (struct motion_rect){x, y, w, h};
        text += used;
        if (*text == ';')
            text++;
        else if (*text != '\0')
            return -EINVAL;
    }
    return 0;
}

void events_api_motion_set(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct events_camera *g = guard_of(req, ctx);
    if (g == NULL)
        return;
    struct motion_settings s;
    events_camera_get_settings(g, &s);
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    const char *reason = NULL, *v;
    int64_t sens;
    if (query == NULL || evhttp_parse_query_str(query, &q) != 0)
        reason = "expected ?sensitivity=1..100 and/or &masks=x,y,w,h;...";
    if (reason == NULL && (v = evhttp_find_header(&q, "sensitivity")) != NULL) {
        if (parse_i64(v, &sens) < 0 || sens < 1 || sens > 100)
            reason = "sensitivity: expected a whole number from 1 to 100";
        else
            s.sensitivity = (unsigned)sens;
    }
    if (reason == NULL && (v = evhttp_find_header(&q, "masks")) != NULL && parse_masks(v, &s) < 0)
        reason = "masks: up to 16 of x,y,w,h (per-mille of the picture) separated by ';'";
    evhttp_clear_headers(&q);
    if (reason != NULL) {
        reply_text(req, 400, reason);
        return;
    }
    int rc = events_camera_set_settings(g, &s, &reason);
    if (rc < 0) {
        reply_text(req, rc == -EINVAL ? 400 : 500, reason);
        return;
    }
    reply_settings(req, ctx, g);
}

/* --- continuous recordings: segments and timelapse files -------------------------------- */

static const char *kind_name(enum recording_kind kind)
{
    return kind == RECORDING_TIMELAPSE ? "timelapse" : "segment";
}

static void recording_json(struct evbuffer *out, const struct recording_record *r)
{
    long long id = (long long)r->id;
    evbuffer_add_printf(out,
                        "{\"id\":%lld,\"camera\":\"%s\",\"kind\":\"%s\",\"start_ms\":%lld,"
                        "\"end_ms\":%lld,\"frames\":%u,\"bytes\":%llu,\"recording\":%s,"
                        "\"file\":\"/api/recordings/%lld/recording.mkv\"}",
                        id, r->camera, kind_name(r->kind), (long long)r->start_unix_ms,
                        (long long)r->end_unix_ms, r->frames, (unsigned long long)r->bytes,
                        r->is_done ? "false" : "true", id);
}

/* GET /api/segments, /api/timelapse: the camera's recordings of kind in ?from=&to=. */
static void list_recordings(struct evhttp_request *req, const struct route_ctx *ctx,
                            enum recording_kind kind, const char *key)
{
    int64_t from, to;
    if (refuse_off(req, ctx) || parse_range(req, &from, &to) < 0)
        return;
    struct recording_record *recs = calloc(LIST_MAX, sizeof(*recs));
    struct evbuffer *body = evbuffer_new();
    int n = recs && body
                ? event_index_rec_list(events_store_index(ctx->relay->events),
                                       camera_name(ctx->camera), kind, from, to, recs, LIST_MAX)
                : -ENOMEM;
    if (n < 0) {
        reply_text(req, 503, n == -ENOMEM ? "out of memory" : "the event index cannot be read");
    } else {
        evbuffer_add_printf(body, "{\"from\":%lld,\"to\":%lld,\"%s\":[", (long long)from,
                            (long long)to, key);
        for (int i = 0; i < n; i++) {
            if (i > 0)
                evbuffer_add(body, ",", 1);
            recording_json(body, &recs[i]);
        }
        evbuffer_add_printf(body, "]}\n");
        reply_json(req, 200, body);
    }
    free(recs);
    if (body != NULL)
        evbuffer_free(body);
}

void recordings_api_segments(struct evhttp_request *req, const struct route_ctx *ctx)
{
    list_recordings(req, ctx, RECORDING_SEGMENT, "segments");
}

void recordings_api_timelapse(struct evhttp_request *req, const struct route_ctx *ctx)
{
    list_recordings(req, ctx, RECORDING_TIMELAPSE, "timelapse");
}

/* The recording of ctx->id, of this camera. Replies 404 and returns -1 if there is none. */
static int find_recording(struct evhttp_request *req, const struct route_ctx *ctx,
                          struct recording_record *out)
{
    if (refuse_off(req, ctx))
        return -1;
    if (event_index_rec_get(events_store_index(ctx->relay->events), ctx->id, out) < 0 ||
        strcmp(out->camera, camera_name(ctx->camera)) != 0) {
        reply_text(req, 404, "no such recording");
        return -1;
    }
    return 0;
}

void recordings_api_one(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct recording_record rec;
    if (find_recording(req, ctx, &rec) < 0)
        return;
    struct evbuffer *body = evbuffer_new();
    if (body != NULL) {
        recording_json(body, &rec);
        evbuffer_add(body, "\n", 1);
    }
    reply_json(req, 200, body);
    if (body != NULL)
        evbuffer_free(body);
}

void recordings_api_file(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct recording_record rec;
    if (find_recording(req, ctx, &rec) < 0)
        return;
    if (!rec.is_done) {
        reply_text(req, 409, "the file is still being written");
        return;
    }
    char download[160], kind[16];
    snprintf(kind, sizeof(kind), "%s-", kind_name(rec.kind));
    download_name(rec.camera, kind, rec.start_unix_ms, rec.id, download, sizeof(download));
    send_file(req, ctx, rec.camera, rec.file, "video/x-matroska", download);
}

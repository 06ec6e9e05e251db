#include "webhook_body.h"

#include "reply.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

int webhook_format_parse(const char *text, enum webhook_format *out)
{
    static const char *const names[] = {"json", "ntfy", "gotify"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = (enum webhook_format)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* RFC 3339 in UTC with milliseconds, or null for 0. */
static void json_time(struct evbuffer *out, int64_t unix_ms)
{
    if (unix_ms <= 0) {
        evbuffer_add_printf(out, "null");
        return;
    }
    time_t s = (time_t)(unix_ms / 1000);
    struct tm tm;
    char text[32];
    if (gmtime_r(&s, &tm) == NULL || strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        evbuffer_add_printf(out, "null");
        return;
    }
    evbuffer_add_printf(out, "\"%s.%03dZ\"", text, (int)(unix_ms % 1000));
}

/* public_url + path as a JSON string, or null without a path. */
static void json_url(struct evbuffer *out, const char *public_url, const char *path)
{
    if (path == NULL || path[0] == '\0') {
        evbuffer_add_printf(out, "null");
        return;
    }
    char url[2048];
    size_t n = public_url != NULL ? strlen(public_url) : 0;
    while (n > 0 && public_url[n - 1] == '/')
        n--;
    snprintf(url, sizeof(url), "%.*s%s", (int)n, n > 0 ? public_url : "", path);
    reply_json_string(out, url);
}

static void body_json(struct evbuffer *out, const struct event_info *ev, const char *public_url)
{
    evbuffer_add_printf(out,
                        "{\"type\":\"%s\",\"camera\":", ev->phase == EVENT_START ? "start" : "end");
    reply_json_string(out, ev->camera);
    evbuffer_add_printf(out, ",\"title\":");
    reply_json_string(out, ev->camera_title != NULL ? ev->camera_title : ev->camera);
    evbuffer_add_printf(out, ",\"event_id\":%lld,\"start\":", (long long)ev->id);
    json_time(out, ev->start_unix_ms);
    evbuffer_add_printf(out, ",\"start_unix_ms\":%lld,\"end\":", (long long)ev->start_unix_ms);
    json_time(out, ev->end_unix_ms);
    if (ev->end_unix_ms > 0)
        evbuffer_add_printf(out, ",\"end_unix_ms\":%lld", (long long)ev->end_unix_ms);
    else
        evbuffer_add_printf(out, ",\"end_unix_ms\":null");
    evbuffer_add_printf(out, ",\"peak_motion_pct\":%.1f,\"thumbnail_url\":", ev->peak_motion_pct);
    json_url(out, public_url, ev->thumbnail_path);
    evbuffer_add_printf(out, ",\"recording_url\":");
    json_url(out, public_url, ev->recording_path);
    evbuffer_add_printf(out, "}");
}

/* The human words of a push: "Motion: Garden" / "Motion on Garden ended after 42 s, peak 12%". */
static void push_text(const struct event_info *ev, char *title, size_t title_size, char *message,
                      size_t message_size)
{
    const char *name = ev->camera_title != NULL ? ev->camera_title : ev->camera;
    snprintf(title, title_size, "Motion: %s", name);
    if (ev->phase == EVENT_START)
        snprintf(message, message_size, "Motion on %s (%.0f%% of the picture)", name,
                 ev->peak_motion_pct);
    else
        snprintf(message, message_size, "Motion on %s ended after %lld s (peak %.0f%%)", name,
                 (long long)((ev->end_unix_ms - ev->start_unix_ms + 500) / 1000),
                 ev->peak_motion_pct);
}

static int has_link(const char *public_url, const char *path)
{
    return public_url != NULL && public_url[0] != '\0' && path != NULL && path[0] != '\0';
}

/* ntfy's JSON publishing (docs.ntfy.sh/publish/#publish-as-json). */
static void body_ntfy(struct evbuffer *out, const struct event_info *ev, const char *public_url,
                      const char *topic)
{
    char title[256], message[512];
    push_text(ev, title, sizeof(title), message, sizeof(message));
    evbuffer_add_printf(out, "{\"topic\":");
    reply_json_string(out, topic != NULL ? topic : "");
    evbuffer_add_printf(out, ",\"title\":");
    reply_json_string(out, title);
    evbuffer_add_printf(out, ",\"message\":");
    reply_json_string(out, message);
    evbuffer_add_printf(out, ",\"tags\":[\"%s\"],\"priority\":%d",
                        ev->phase == EVENT_START ? "rotating_light" : "white_check_mark",
                        ev->phase == EVENT_START ? 4 : 3);
    const char *link = ev->recording_path != NULL ? ev->recording_path : ev->thumbnail_path;
    if (has_link(public_url, link)) {
        evbuffer_add_printf(out, ",\"click\":");
        json_url(out, public_url, link);
    }
    if (has_link(public_url, ev->thumbnail_path)) {
        evbuffer_add_printf(out, ",\"attach\":");
        json_url(out, public_url, ev->thumbnail_path);
    }
    evbuffer_add_printf(out, "}");
}

/* Gotify's POST /message (gotify.net/docs/msgextras: client::notification). */
static void body_gotify(struct evbuffer *out, const struct event_info *ev, const char *public_url)
{
    char title[256], message[512];
    push_text(ev, title, sizeof(title), message, sizeof(message));
    evbuffer_add_printf(out, "{\"title\":");
    reply_json_string(out, title);
    evbuffer_add_printf(out, ",\"message\":");
    reply_json_string(out, message);
    evbuffer_add_printf(out, ",\"priority\":%d", ev->phase == EVENT_START ? 8 : 4);
    const char *link = ev->recording_path != NULL ? ev->recording_path : ev->thumbnail_path;
    if (has_link(public_url, link)) {
        evbuffer_add_printf(out, ",\"extras\":{\"client::notification\":{\"click\":{\"url\":");
        json_url(out, public_url, link);
        evbuffer_add_printf(out, "}");
        if (has_link(public_url, ev->thumbnail_path)) {
            evbuffer_add_printf(out, ",\"bigImageUrl\":");
            json_url(out, public_url, ev->thumbnail_path);
        }
        evbuffer_add_printf(out, "}}");
    }
    evbuffer_add_printf(out, "}");
}

int webhook_body(struct evbuffer *out, enum webhook_format format, const struct event_info *ev,
                 const char *public_url, const char *ntfy_topic)
{
    size_t before = evbuffer_get_length(out);
    if (format == WEBHOOK_NTFY)
        body_ntfy(out, ev, public_url, ntfy_topic);
    else if (format == WEBHOOK_GOTIFY)
        body_gotify(out, ev, public_url);
    else
        body_json(out, ev, public_url);
    return evbuffer_get_length(out) > before ? 0 : -ENOMEM;
}

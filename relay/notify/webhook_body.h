#pragma once
/*
 * webhook_body: the JSON documents an event is told with (docs/INTEGRATIONS.md, "Event
 * messages"): Lookout's own body, used for WEBHOOK_FORMAT=json and the MQTT event topic, and the
 * bodies ntfy and Gotify accept as they are.
 *
 *   json:   {"type":"start","camera":"cam","title":"Cam","event_id":7,
 *            "start":"2026-12-07T18:00:00.123Z","start_unix_ms":...,"end":null,"end_unix_ms":null,
 *            "peak_motion_pct":12.5,"thumbnail_url":"https://.../...jpg","recording_url":null}
 *   ntfy:   {"topic":T,"title":...,"message":...,"tags":["rotating_light"],"priority":4,
 *            "click":URL,"attach":URL} posted to the server's root URL (ntfy's JSON publishing)
 *   gotify: {"title":...,"message":...,"priority":8,"extras":{"client::notification":
 *            {"click":{"url":URL},"bigImageUrl":URL}}} posted to /message?token=...
 */
#include "event.h"

struct evbuffer;

enum webhook_format { WEBHOOK_JSON, WEBHOOK_NTFY, WEBHOOK_GOTIFY };

/* Parse "json", "ntfy" or "gotify". Returns 0, or -EINVAL. */
int webhook_format_parse(const char *text, enum webhook_format *out);

/*
 * Append the body for ev in `format` to out. public_url ("https://camera.example.com", may be
 * "" or NULL) is put before the event's URL paths; without it the paths stay relative and the
 * ntfy/Gotify links are left out (a phone cannot open a relative link). ntfy_topic is the ntfy
 * topic (the last path segment of WEBHOOK_URL; ignored for other formats).
 * Returns 0, or -ENOMEM.
 */
int webhook_body(struct evbuffer *out, enum webhook_format format, const struct event_info *ev,
                 const char *public_url, const char *ntfy_topic);

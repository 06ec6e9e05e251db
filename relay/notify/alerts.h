#pragma once
/*
 * alerts: whether an event is told to people now. Alerts are armed by the weekly schedule
 * (schedule.h, ALERT_SCHEDULE) unless snoozed (an operator's "no alerts for the next hour").
 * Disarmed, webhooks and command hooks stay quiet; recording continues regardless, and MQTT
 * still reports motion (Home Assistant decides for itself, and sees "Alerts armed").
 * The snooze is kept across restarts by the caller (alerts_file.h, ALERTS_FILE).
 */
#include <stddef.h>
#include <stdint.h>

#include "schedule.h"

struct alerts;

/* Longest snooze: a day. */
#define ALERTS_SNOOZE_MAX_S (24 * 3600)

/* New, with the schedule text (copied, for display). NULL with err set on a bad schedule or no
 * memory. */
struct alerts *alerts_new(const char *schedule_text, char *err, size_t err_size);

void alerts_free(struct alerts *a);

/* Armed at now_s (Unix seconds)? */
int alerts_is_armed(const struct alerts *a, int64_t now_s);

/* Snooze until now_s + seconds (1..ALERTS_SNOOZE_MAX_S), or end the snooze with 0.
 * Returns 0 or -EINVAL. */
int alerts_snooze(struct alerts *a, int64_t now_s, unsigned seconds);

/*
 * Snooze until until_s (Unix seconds; a snooze read back from ALERTS_FILE). An end already past
 * at now_s, or 0, is no snooze. Returns 0, or -EINVAL for an end more than ALERTS_SNOOZE_MAX_S
 * after now_s (then nothing changes).
 */
int alerts_snooze_until(struct alerts *a, int64_t now_s, int64_t until_s);

/* Unix seconds the snooze ends, or 0 when not snoozed at now_s. */
int64_t alerts_snoozed_until(const struct alerts *a, int64_t now_s);

/*
 * The state as a JSON object into out (NUL-terminated): {"armed":BOOL,"snoozed_until":
 * "RFC 3339"|null,"snoozed_until_unix":N|null,"schedule":"TEXT"|null,"scheduled":BOOL}
 * where "scheduled" says whether the schedule arms this minute. Returns the length.
 */
size_t alerts_json(const struct alerts *a, int64_t now_s, char *out, size_t out_size);

#pragma once
/*
 * tell: the notify layer of a running relay (relay/notify/): MQTT and Home Assistant, webhooks,
 * command hooks, and the alert state (snooze, schedule) that decides whether an event is told
 * to people. main starts it after the cameras exist and stops it before they are freed; the
 * guard layer reports each event to tell_on_event.
 */
#include "event.h"

struct evbuffer;
struct evhttp_request;
struct relay;
struct route_ctx;
struct tell;

/* Start what the settings ask for (MQTT_URL, WEBHOOK_URL, ON_EVENT_*, ALERT_SCHEDULE) into
 * relay->tell. Returns 0, or -1 after logging why (a bad setting: the relay does not start). */
int tell_start(struct relay *relay);

/* Stop and free relay->tell. Safe if tell_start failed or never ran. */
void tell_stop(struct relay *relay);

/*
 * The event listener (guard/event.h's event_cb; arg: the struct relay). MQTT always reports it
 * (the motion sensor, the event topic, the thumbnail); webhooks and hooks only while alerts are
 * armed. Runs on the loop and never blocks.
 */
void tell_on_event(const struct event_info *ev, void *arg);

/* GET /api/alerts (viewer): the alert state as JSON (alerts.h). */
void api_alerts(struct evhttp_request *req, const struct route_ctx *ctx);

/* POST /api/alerts/snooze?minutes=N (operator): no alerts for N minutes (1..1440), 0 ends the
 * snooze. Answers the new state; audited. */
void api_alerts_snooze(struct evhttp_request *req, const struct route_ctx *ctx);

/* Append the notify layer's Prometheus series to out (nothing for what is not configured). */
void tell_metrics(const struct tell *t, struct evbuffer *out);

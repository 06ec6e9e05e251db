#pragma once
/*
 * tell_priv: the layout shared by tell.c (start, events, metrics) and tell_api.c (the alert
 * routes). Not for other modules.
 */
struct alerts;
struct audit;
struct event;
struct ha;
struct hook;
struct webhook;

struct tell {
    struct ha *ha;           /* NULL without MQTT_URL */
    struct webhook *webhook; /* NULL without WEBHOOK_URL */
    struct hook *hook;       /* NULL without ON_EVENT_START/END */
    struct alerts *alerts;
    struct event *alerts_timer;
    int was_armed;       /* as last published */
    struct audit *audit; /* borrowed from the relay */
};

/* Publish the alert state to MQTT (if any) and remember it as published. */
void tell_publish_alerts(struct tell *t);

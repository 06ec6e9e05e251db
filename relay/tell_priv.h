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
    char alerts_path[1100]; /* ALERTS_FILE (or USERS_FILE.alerts); "": the snooze is not kept */
    struct event *alerts_timer;
    int was_armed;       /* as last published */
    struct audit *audit; /* borrowed from the relay */
};

/* Keep the snooze in ALERTS_FILE (if any): replaced atomically, a failure logged. */
void tell_save_alerts(struct tell *t);

/* Publish the alert state to MQTT (if any) and remember it as published. */
void tell_publish_alerts(struct tell *t);

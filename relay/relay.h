#pragma once
/*
 * relay: the parts of one running relay, created by main and passed to the routes.
 * Every member is owned by main (created there, freed there in reverse order).
 */
#include <stdint.h>

struct access_log;
struct audit;
struct session_file;
struct share_file;
struct shares;
struct users_watch;
struct auth;
struct hasher;
struct session_file;
struct users_watch;
struct token_watch;
struct connlimit;
struct cfg;
struct evdns_base;
struct tell;
struct event_base;
struct cameras;
struct throttle;
struct tls;
struct redirect;
struct events_store;
struct events_camera;
struct event_info;

/* Cameras guarded at most (cameras.h: CAMERAS_MAX). */
#define RELAY_GUARDS_MAX 64

struct relay {
    struct event_base *base;
    struct evdns_base *dns; /* NULL without a resolv.conf */
    const struct cfg *cfg;
    struct cameras *cameras; /* every camera; routes find theirs by name (cameras.h) */
    struct auth *auth;
    struct hasher *hasher;             /* password checks off the loop; NULL: on it */
    struct audit *audit;               /* AUDIT_LOG: who did what */
    struct users_watch *users_watch;   /* USERS_FILE, re-read when it changes */
    struct token_watch *token_watch;   /* NODE_TOKEN_FILEs, re-read when they change */
    struct session_file *session_file; /* sessions kept across restarts */
    struct shares *shares;             /* guest links */
    struct share_file *share_file;     /* ... kept in SHARES_FILE, ended on time */
    struct access_log *access_log;     /* one line per request, request counters */
    struct tls *tls;                   /* NULL without TLS_CERT */
    struct connlimit *connlimit;
    struct throttle *node_throttle; /* wrong node tokens, per address (api_link.c) */
    struct redirect *redirect;      /* HTTP_REDIRECT_LISTEN, or NULL */
    struct tell *tell;              /* the notify layer: MQTT, webhooks, hooks, alerts (tell.h) */
    int64_t started_us;
    int is_tls; /* the listener speaks HTTPS: cookies get Secure */
    /* Guarding (RECORD_DIR): the recordings and index, and one guard per camera; NULL/0 when
     * RECORD_DIR is not set. */
    struct events_store *events;
    struct events_camera *guards[RELAY_GUARDS_MAX];
    size_t guard_count;
    /* Who hears each event's start and end (the notify layer: MQTT, webhooks, hooks): an
     * event_cb of relay/guard/event.h, set before start-up; NULL: nobody. */
    void (*on_event)(const struct event_info *ev, void *arg);
    void *on_event_arg;
};

/*
 * lookout: the relay. One connection to the camera, any number of viewers, a web page to watch
 * and steer. See docs/ARCHITECTURE.md for how the pieces fit and docs/CONFIG.md for settings.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>

#include "clock.h"
#include "access_log.h"
#include "accept_pause.h"
#include "audit.h"
#include "auth.h"
#include "hasher.h"
#include "camera.h"
#include "camfile.h"
#include "cameras.h"
#include "cameras_load.h"
#include "cfg.h"
#include "cfg_check.h"
#include "connlimit.h"
#include "events.h"
#include "events_camera.h"
#include "events_store.h"
#include "listen.h"
#include "relay.h"
#include "redirect.h"
#include "reply.h"
#include "routes.h"
#include "tell.h"
#include "throttle.h"
#include "tls.h"
#include "session_file.h"
#include "share.h"
#include "share_file.h"
#include "users.h"
#include "users_watch.h"
#include "token_watch.h"
#include "passwd_input.h"
#define LOG_TAG "lookout"
#include "log.h"

#ifndef LOOKOUT_VERSION
#define LOOKOUT_VERSION "0.1.0"
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lookout [--env FILE] [--listen ADDR:PORT] [--log-level LEVEL]\n"
            "       lookout --check-config [--env FILE]\n"
            "       lookout passwd NAME [viewer|operator|admin]\n"
            "\n"
            "The Lookout relay: one connection to the camera (CAM_URL), the live stream to any\n"
            "number of viewers, a web page to watch and steer (SERVO_URL).\n"
            "\n"
            "  --env FILE         read settings from FILE (default: ./.env if it exists)\n"
            "  --listen ADDR:PORT listen here (default 0.0.0.0:5000; port 0 picks a free one)\n"
            "  --log-level LEVEL  error, warn, info (default) or debug\n"
            "  --check-config     report every configuration error and exit (0: config ok)\n"
            "  --help             show this help\n"
            "  --version          show the version\n"
            "\n"
            "`lookout passwd NAME [ROLE]` reads a password (terminal or stdin) and prints a\n"
            "USERS_FILE line with its yescrypt hash.\n"
            "\n"
            "Settings (.env keys, overridden by the environment): HTTP_AUTH_USERNAME,\n"
            "HTTP_AUTH_PASSWORD, CAM_URL, SERVO_URL, LISTEN, MAX_VIEWERS, MAX_FRAME_BYTES, ...\n"
            "See docs/CONFIG.md.\n");
}

static void on_config_warning(enum cfg_severity severity, const char *where, const char *key,
                              const char *reason, void *arg)
{
    (void)arg;
    if (severity == CFG_WARNING)
        LOG_WARN("%s: %s: %s", where, key, reason);
}

/* Settings from defaults, the .env file, the environment, then flags (highest). */
static int load_config(int argc, char **argv, struct cfg *cfg)
{
    static const struct option opts[] = {
        {"env", required_argument, NULL, 'e'},
        {"listen", required_argument, NULL, 'l'},
        {"log-level", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"check-config", no_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    const char *env_path = NULL, *listen = NULL, *level = NULL;
    int c, is_check = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            env_path = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'v':
            level = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf("lookout %s\n", LOOKOUT_VERSION);
            exit(0);
        case 'c':
            is_check = 1;
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lookout: unexpected argument: %s\n", argv[optind]);
        return 2;
    }
    char err[512];
    /* --check-config: every error at once, not only the first (cfg_check.h). */
    if (is_check)
        exit(cfg_check_run(env_path ? env_path : ".env", env_path != NULL, listen, level, stdout,
                           stderr));
    cfg_defaults(cfg);
    if (cfg_load_file(cfg, env_path ? env_path : ".env", env_path != NULL, err, sizeof(err)) < 0 ||
        cfg_load_environment(cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout: %s\n", err);
        return 1;
    }
    if (listen != NULL && cfg_set_listen(cfg, listen) < 0) {
        fprintf(stderr, "lookout: --listen: expected ADDR:PORT, got \"%s\"\n", listen);
        return 2;
    }
    if (listen != NULL)
        cfg_mark(cfg, "LISTEN", CFG_FROM_FLAG);
    if (level != NULL && log_level_parse(level, &cfg->log_level) < 0) {
        fprintf(stderr, "lookout: --log-level: expected error, warn, info or debug\n");
        return 2;
    }
    if (cfg_validate(cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout: %s\n", err);
        return 1;
    }
    /* NODE_TOKEN: only its digest stays in memory from here on. */
    const char *why = NULL;
    if (cfg_load_node_token(cfg, &why) < 0) {
        fprintf(stderr, "lookout: %s: %s\n",
                cfg->node_token_file[0] ? "NODE_TOKEN_FILE" : "NODE_TOKEN", why);
        return 1;
    }
    /* For its warnings (SERVO_URL on the stream's port); a bad URL stops the start later. */
    cfg_check_urls(cfg, on_config_warning, NULL);
    return 0;
}

/* An answer was sent: the connection's next request must arrive in time (connlimit.h). */
static void on_request_done(struct evhttp_request *req, void *connlimit)
{
    connlimit_request_done(connlimit, req);
}

/*
 * libevent's memory is wiped when it is freed: requests carry passwords (Basic credentials,
 * the login form) in header lines and buffer chains that evhttp frees without a word, and a
 * core dump must not show them (docs/SECURITY.md). malloc_usable_size is glibc's (and ASan's).
 */
static void *on_ev_malloc(size_t n)
{
    return malloc(n);
}

static void on_ev_free(void *p)
{
    if (p == NULL)
        return;
    explicit_bzero(p, malloc_usable_size(p));
    free(p);
}

static void *on_ev_realloc(void *p, size_t n)
{
    if (p == NULL)
        return malloc(n);
    size_t had = malloc_usable_size(p);
    void *q = malloc(n);
    if (q == NULL)
        return NULL;
    memcpy(q, p, had < n ? had : n);
    on_ev_free(p);
    return q;
}

/* libevent's own warnings go through our log, with our levels and format. */
static void on_libevent_log(int severity, const char *msg)
{
    enum log_level level = severity >= EVENT_LOG_ERR    ? LOG_LEVEL_ERROR
                           : severity == EVENT_LOG_WARN ? LOG_LEVEL_WARN
                           : severity == EVENT_LOG_MSG  ? LOG_LEVEL_INFO
                                                        : LOG_LEVEL_DEBUG;
    if (level <= log_current_level)
        log_write(level, "libevent", "%s", msg);
}

/* Nodes linked in get a WebSocket close frame (1001, "going away": RFC 6455 §7.4.1) before their
 * sockets close, so they know the relay left on purpose: the loop runs on (in 10 ms steps, at
 * most SHUTDOWN_CLOSE_GRACE_MS) until every close frame is written. */
#define SHUTDOWN_CLOSE_GRACE_MS 500
static void say_going_away(struct relay *relay)
{
    unsigned closing = cameras_going_away(relay->cameras);
    for (int waited_ms = 0; closing > 0 && waited_ms < SHUTDOWN_CLOSE_GRACE_MS; waited_ms += 10) {
        struct timeval step = {.tv_sec = 0, .tv_usec = 10000};
        event_base_loopexit(relay->base, &step);
        event_base_dispatch(relay->base);
        closing = cameras_going_away(relay->cameras);
    }
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    LOG_INFO("signal %d: shutting down", (int)sig);
    event_base_loopexit(arg, NULL);
}

/*
 * The .env user's hash (HTTP_AUTH_PASSWORD hashed here, then wiped, or HTTP_AUTH_PASSWORD_HASH)
 * into hash. Returns 0, or -1 after logging why.
 */
static int env_user_hash(struct cfg *cfg, char *hash, size_t hash_size)
{
    int rc = 0;
    hash[0] = '\0';
    if (cfg->username[0] != '\0') {
        if (cfg->password_hash[0] != '\0')
            snprintf(hash, hash_size, "%s", cfg->password_hash);
        else if (users_hash_password(cfg->password, hash, hash_size) < 0)
            rc = -1;
    }
    /* The plaintext is not needed past this point, neither our copy nor the environment's
     * (which /proc/PID/environ and a core dump would show): wipe it in place, then drop it. */
    explicit_bzero(cfg->password, sizeof(cfg->password));
    char *env = getenv("HTTP_AUTH_PASSWORD");
    if (env != NULL) {
        explicit_bzero(env, strlen(env));
        unsetenv("HTTP_AUTH_PASSWORD");
    }
    if (rc < 0)
        LOG_ERROR("HTTP_AUTH_USERNAME / HTTP_AUTH_PASSWORD: cannot hash the password (libcrypt)");
    return rc;
}

/* A guest link's time is up: what it opened closes now. */
static void on_share_expired(const struct share_info *link, void *arg)
{
    struct relay *relay = arg;
    share_api_cut(relay, link->id);
    struct audit_field f[] = {AUDIT_TEXT("share", link->id), AUDIT_TEXT("label", link->label),
                              AUDIT_TEXT("creator", link->creator)};
    audit_record(relay->audit, "share_expired", "", "", f, 3);
}

/* USERS_FILE was re-read: the streams of users now gone, or whose camera list no longer names
 * the camera they watch, close now (removed users' sessions already ended). */
static void on_users_changed(void *arg)
{
    unsigned closed = routes_recheck_streams(arg);
    if (closed > 0)
        LOG_INFO("USERS_FILE: %u stream(s) closed: their users may no longer see the camera",
                 closed);
}

/*
 * The accounts (the .env user and USERS_FILE, watched for changes), the audit log, and the
 * sessions a previous run left. Returns 0, or -1 after logging why.
 */
static int start_access(struct relay *relay, struct cfg *cfg)
{
    char hash[256], err[1100];
    if (env_user_hash(cfg, hash, sizeof(hash)) < 0)
        return -1;
    struct users_watch_config uw = {
        .path = cfg->users_file, .env_name = cfg->username, .env_hash = hash, .poll_ms = 1000};
    struct users *users = users_watch_build(&uw, err, sizeof(err));
    if (users == NULL) {
        LOG_ERROR("USERS_FILE: %s", err);
        return -1;
    }
    relay->auth = auth_new(users, cfg->session_idle_ms, cfg->session_max_age_ms);
    relay->audit = audit_new(cfg->audit_log, cfg->audit_log_max_bytes, err, sizeof(err));
    if (relay->audit == NULL) {
        LOG_ERROR("%s", err);
        return -1;
    }
    if (relay->auth == NULL) {
        LOG_ERROR("out of memory");
        return -1;
    }
    auth_set_audit(relay->auth, relay->audit);
    /* Password checks run on the hasher's thread, never on the loop (issue 10 #6). Without one
     * (no thread could be made) they run on the loop, bounded by AUTH_MAX_CHECKS_PER_S. */
    relay->hasher = hasher_new(relay->base, AUTH_MAX_CHECKS_PER_S);
    if (relay->hasher == NULL)
        LOG_WARN("no password-check thread: checks run on the event loop");
    auth_set_hasher(relay->auth, relay->hasher);
    relay->users_watch =
        users_watch_new(relay->base, &uw, relay->auth, relay->audit, on_users_changed, relay);
    explicit_bzero(hash, sizeof(hash));
    char path[1100];
    cfg_state_path(cfg, cfg->sessions_file, "sessions", path, sizeof(path));
    relay->session_file = session_file_new(relay->base, auth_sessions(relay->auth), path);
    relay->shares = shares_new();
    if (relay->shares == NULL)
        return -1;
    auth_set_shares(relay->auth, relay->shares);
    cfg_state_path(cfg, cfg->shares_file, "shares", path, sizeof(path));
    relay->share_file = share_file_new(relay->base, relay->shares, path, on_share_expired, relay);
    return relay->users_watch != NULL && relay->session_file != NULL && relay->share_file != NULL
               ? 0
               : -1;
}

static void on_camera_removing(struct camera *cam, void *arg);
static void on_camera_added(struct camera *cam, void *arg);

static void on_sighup(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    struct relay *relay = arg;
    char err[512];
    users_watch_reload(relay->users_watch, "SIGHUP");
    const struct cameras_hooks hooks = {on_camera_removing, on_camera_added, relay};
    if (relay->cfg->cameras_dir[0] != '\0' &&
        cameras_reload(relay->cameras, relay->base, relay->dns, relay->cfg, &hooks) == 0 &&
        auth_check_cameras(relay->auth, cameras_has_name, relay->cameras, err, sizeof(err)) < 0)
        LOG_WARN("SIGHUP: USERS_FILE: %s (that user sees no such camera)", err);
    if (relay->token_watch != NULL)
        token_watch_reload(relay->token_watch);
    if (relay->tls == NULL)
        LOG_INFO("SIGHUP: no certificate to reload (no TLS_CERT)");
    else if (tls_reload(relay->tls, err, sizeof(err)) < 0)
        LOG_ERROR("SIGHUP: keeping the old certificate: %s", err);
    else
        LOG_INFO("SIGHUP: certificate reloaded; open connections keep theirs");
}

static int start_tls(struct relay *relay, struct cfg *cfg)
{
    char err[512];
    if (cfg->tls_cert[0] == '\0')
        return 0;
    relay->tls = tls_new(cfg->tls_cert, cfg->tls_key, err, sizeof(err));
    if (relay->tls == NULL) {
        LOG_ERROR("%s", err);
        return -1;
    }
    relay->is_tls = 1;
    return 0;
}

static void remember_port(struct evhttp_bound_socket *bound, void *arg)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    uint16_t *port = arg;
    if (*port != 0 ||
        getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &len) != 0)
        return;
    *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                           : ((struct sockaddr_in *)&ss)->sin_port);
}

/* HTTP_REDIRECT_LISTEN: points at the port actually bound (LISTEN's, port 0's, or systemd's). */
static int start_redirect(struct relay *relay, const struct cfg *cfg, struct evhttp *http)
{
    if (!relay->is_tls || !cfg->has_redirect_listen)
        return 0;
    uint16_t https_port = 0;
    evhttp_foreach_bound_socket(http, remember_port, &https_port);
    struct connlimit_config lc = {.max_total = cfg->max_connections,
                                  .max_per_address = cfg->max_connections_per_address,
                                  .request_timeout_ms = cfg->request_timeout_ms};
    relay->redirect = redirect_new(relay->base, cfg->redirect_listen_host,
                                   cfg->redirect_listen_port, https_port, &lc);
    return relay->redirect != NULL ? 0 : -1;
}

static void on_camera_problem(enum cfg_severity severity, const char *where, const char *key,
                              const char *reason, void *arg)
{
    (void)arg;
    if (severity == CFG_WARNING)
        LOG_WARN("%s: %s%s%s", where, key, key[0] ? ": " : "", reason);
    else
        LOG_ERROR("%s: %s%s%s", where, key, key[0] ? ": " : "", reason);
}

/* The main .env's camera and CAMERA_DIR's; a user's camera list must name cameras that exist. */
static int start_cameras(struct relay *relay, const struct cfg *cfg)
{
    if (cameras_load(relay->cameras, relay->base, relay->dns, cfg, on_camera_problem, NULL) > 0)
        return -1;
    char err[600];
    if (auth_check_cameras(relay->auth, cameras_has_name, relay->cameras, err, sizeof(err)) < 0) {
        LOG_ERROR("USERS_FILE: %s", err);
        return -1;
    }
    relay->token_watch = token_watch_new(relay->base, relay->cameras, 1000);
    if (relay->token_watch == NULL) {
        LOG_ERROR("out of memory");
        return -1;
    }
    return 0;
}

/* Start guarding cam (RECORD_DIR set): motion detection, events, recording. */
static int guard_camera(struct relay *relay, struct camera *cam)
{
    const struct cfg *cfg = relay->cfg;
    if (relay->events == NULL)
        return 0;
    if (relay->guard_count >= RELAY_GUARDS_MAX) {
        LOG_ERROR("camera %s: more than %d cameras to guard", camera_name(cam), RELAY_GUARDS_MAX);
        return -1;
    }
    const struct camfile *cs = camera_settings(cam);
    if (!cs->record) {
        LOG_INFO("camera %s: RECORD=off: no motion detection, no recording", camera_name(cam));
        return 0;
    }
    char err[1400];
    struct events_config ec = {.camera = camera_name(cam),
                               .camera_title = camera_title(cam),
                               .preroll_ms = cs->record_preroll_ms,
                               .quiet_ms = cs->record_quiet_ms,
                               .max_event_ms = cs->record_max_event_ms,
                               .preroll_max_frames = 30 * (cs->record_preroll_ms / 1000 + 1),
                               .queue_max_frames = cfg->record_queue_frames,
                               .segment_s = cs->record_segment_s,
                               .timelapse_s = cs->record_timelapse_s};
    struct events_camera *g =
        events_camera_new(relay->base, cam, relay->events, &ec, cfg->motion_settle_ms,
                          cfg->motion_max_fps, err, sizeof(err));
    if (g == NULL) {
        LOG_ERROR("camera %s: %s", camera_name(cam), err);
        return -1;
    }
    events_set_listener(events_camera_events(g), relay->on_event, relay->on_event_arg);
    relay->guards[relay->guard_count++] = g;
    return 0;
}

/* SIGHUP: a camera is about to close; stop guarding it first (its guard borrows it). */
static void on_camera_removing(struct camera *cam, void *arg)
{
    struct relay *relay = arg;
    for (size_t i = 0; i < relay->guard_count; i++) {
        if (events_camera_camera(relay->guards[i]) != cam)
            continue;
        events_camera_free(relay->guards[i]);
        relay->guards[i] = relay->guards[--relay->guard_count];
        return;
    }
}

/* SIGHUP: a camera started; guard it like the others. */
static void on_camera_added(struct camera *cam, void *arg)
{
    guard_camera(arg, cam);
}

/*
 * RECORD_DIR set: open the recordings (crash recovery, index, retention) and guard every camera
 * (motion detection, events, recording), each event told to relay->on_event.
 */
static int start_guarding(struct relay *relay, const struct cfg *cfg)
{
    if (cfg->record_dir[0] == '\0')
        return 0;
    char err[1400];
    struct events_store_config sc = {
        .dir = cfg->record_dir,
        .limits = {.max_age_ms = (uint64_t)cfg->record_max_age_s * 1000,
                   .max_total_bytes = cfg->record_max_bytes,
                   .min_free_bytes = cfg->record_min_free_bytes},
        .check_interval_ms = cfg->record_check_interval_ms};
    relay->events = events_store_open(relay->base, &sc, err, sizeof(err));
    if (relay->events == NULL) {
        LOG_ERROR("%s", err);
        return -1;
    }
    for (size_t i = 0; i < cameras_count(relay->cameras); i++) {
        if (guard_camera(relay, cameras_at(relay->cameras, i)) < 0)
            return -1;
    }
    LOG_INFO("guarding %zu camera(s): motion detection on, recording into %s", relay->guard_count,
             cfg->record_dir);
    return 0;
}

static int start(struct relay *relay, struct cfg *cfg, struct evhttp **http_out)
{
    if (start_access(relay, cfg) < 0)
        return -1;
    relay->node_throttle = throttle_new();
    if (relay->node_throttle == NULL) {
        LOG_ERROR("out of memory");
        return -1;
    }
    relay->cameras = cameras_new();
    relay->access_log = access_log_new();
    if (relay->auth == NULL || relay->cameras == NULL || relay->access_log == NULL) {
        LOG_ERROR("out of memory");
        return -1;
    }
    struct evhttp *http = evhttp_new(relay->base);
    if (http == NULL)
        return -1;
    *http_out = http;
    /* libevent's own header cap is only a backstop (it answers 400); guard.c answers 431 with a
     * reason for anything between MAX_HEADER_BYTES and this. */
    ev_ssize_t backstop = 16 * (ev_ssize_t)cfg->max_header_bytes;
    if (backstop < 131072)
        backstop = 131072;
    evhttp_set_max_headers_size(http, backstop);
    evhttp_set_max_body_size(http, cfg->max_body_bytes);
    struct timeval request_timeout = {.tv_sec = cfg->request_timeout_ms / 1000,
                                      .tv_usec = (cfg->request_timeout_ms % 1000) * 1000};
    evhttp_set_timeout_tv(http, &request_timeout); /* idle and write; connlimit: the deadline */
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS);
    routes_install(http, relay);
    if (start_tls(relay, cfg) < 0)
        return -1;
    /* Read-ahead per connection: the largest request evhttp accepts (header backstop, body),
     * so one is never cut off, and nothing more while an answer is being written. */
    struct connlimit_config lc = {.max_total = cfg->max_connections,
                                  .max_per_address = cfg->max_connections_per_address,
                                  .request_timeout_ms = cfg->request_timeout_ms,
                                  .max_input_bytes = (size_t)backstop + cfg->max_body_bytes};
    relay->connlimit = connlimit_new(relay->base, &lc);
    if (relay->connlimit == NULL) {
        LOG_ERROR("out of memory");
        return -1;
    }
    connlimit_install(relay->connlimit, http, relay->tls != NULL ? tls_bufferevent_new : NULL,
                      relay->tls);
    access_log_set_done_cb(relay->access_log, on_request_done, relay->connlimit);
    /* The sockets systemd passed (lookout.socket), or LISTEN. */
    const char *scheme = relay->is_tls ? "https" : "http";
    if (listen_start(http, cfg->listen_host, cfg->listen_port, scheme) < 0 ||
        start_redirect(relay, cfg, http) < 0)
        return -1;
    /* Each viewer and connection is a descriptor; plus the camera, files and frames in memfds. */
    accept_pause_install(http, (unsigned long)cfg->max_connections + cfg->max_viewers + 64);
    /* Camera URLs may name a host (a dynamic-DNS name): resolve it off the loop. Without a
     * resolv.conf this is NULL and libevent falls back to a blocking lookup. */
    relay->dns = evdns_base_new(relay->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                                 EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    if (relay->dns == NULL)
        LOG_WARN("no DNS resolver (resolv.conf): host names in CAM_URL and SERVO_URL will be "
                 "resolved with a blocking lookup");
    if (start_cameras(relay, cfg) < 0)
        return -1;
    /* The notify layer hears every event the guards report (tell.h). */
    relay->on_event = tell_on_event;
    relay->on_event_arg = relay;
    if (start_guarding(relay, cfg) < 0)
        return -1;
    return tell_start(relay);
}

/*
 * `lookout passwd NAME [ROLE]`: read a password (from the terminal without echo, or one line of
 * standard input) and print the USERS_FILE line "NAME:HASH:ROLE".
 */
static int passwd_main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: lookout passwd NAME [viewer|operator|admin]\n");
        return 2;
    }
    const char *role_name = argc == 4 ? argv[3] : "operator";
    if (users_role_parse(role_name) == ROLE_NONE) {
        fprintf(stderr, "lookout passwd: role must be viewer, operator or admin, not \"%s\"\n",
                role_name);
        return 2;
    }
    char password[256], again[256];
    if (read_password("Password: ", password, sizeof(password)) < 0) {
        fprintf(stderr, "lookout passwd: no password given\n");
        return 1;
    }
    /* A typo typed blind would lock the user out: on a terminal, ask twice. */
    if (isatty(STDIN_FILENO)) {
        int is_same =
            read_password("Again: ", again, sizeof(again)) == 0 && strcmp(password, again) == 0;
        explicit_bzero(again, sizeof(again));
        if (!is_same) {
            explicit_bzero(password, sizeof(password));
            fprintf(stderr, "lookout passwd: the two passwords differ\n");
            return 1;
        }
    }
    if (strlen(password) < 10)
        fprintf(stderr,
                "lookout passwd: warning: %zu characters is short for a password that "
                "faces the internet; 10 or more is better\n",
                strlen(password));
    char hash[256];
    int rc = users_hash_password(password, hash, sizeof(hash));
    explicit_bzero(password, sizeof(password));
    if (rc < 0) {
        fprintf(stderr, "lookout passwd: libcrypt cannot hash the password\n");
        return 1;
    }
    struct users *check = users_new();
    const char *reason = NULL;
    if (check == NULL ||
        users_add(check, argv[2], hash, users_role_parse(role_name), &reason) < 0) {
        fprintf(stderr, "lookout passwd: %s\n", reason ? reason : "out of memory");
        users_free(check);
        return 2;
    }
    users_free(check);
    printf("%s:%s:%s\n", argv[2], hash, role_name);
    return 0;
}

int main(int argc, char **argv)
{
    event_set_mem_functions(on_ev_malloc, on_ev_realloc, on_ev_free); /* before any libevent call */
    if (argc >= 2 && strcmp(argv[1], "passwd") == 0)
        return passwd_main(argc, argv);
    struct cfg cfg;
    int rc = load_config(argc, argv, &cfg);
    if (rc != 0)
        return rc;
    log_current_level = cfg.log_level;
    signal(SIGPIPE, SIG_IGN);

    struct relay relay = {.cfg = &cfg, .started_us = clock_now_us()};
    struct evhttp *http = NULL;
    relay.base = event_base_new();
    /* Two priorities: the camera's connection (0) is served before the viewers (1), so a loop
     * busy with a thousand viewers still reads every frame as it arrives. */
    if (relay.base != NULL)
        event_base_priority_init(relay.base, 2);
    event_set_log_callback(on_libevent_log);
    if (relay.base == NULL) {
        LOG_ERROR("cannot create the event loop");
        return 1;
    }
    struct event *sigint = evsignal_new(relay.base, SIGINT, on_signal, relay.base);
    struct event *sigterm = evsignal_new(relay.base, SIGTERM, on_signal, relay.base);
    struct event *sighup = evsignal_new(relay.base, SIGHUP, on_sighup, &relay);
    if (sigint == NULL || sigterm == NULL || sighup == NULL || evsignal_add(sigint, NULL) < 0 ||
        evsignal_add(sigterm, NULL) < 0 || evsignal_add(sighup, NULL) < 0) {
        LOG_ERROR("cannot install signal handlers");
        rc = 1;
    } else if (start(&relay, &cfg, &http) < 0) {
        rc = 1;
    } else {
        listen_notify_ready();
        event_base_dispatch(relay.base);
        listen_notify_stopping();
        say_going_away(&relay);
    }

    /* Reverse order of creation; viewers go before the HTTP server that accepted them. The
     * hasher first: its unfinished checks answer their requests (429) through everything else.
     * Then the notify layer: an event the guards close now is not told (the MQTT will says the
     * relay is gone), rather than start a webhook or hook only to cancel it. An open event is
     * finished and indexed before its camera goes. */
    hasher_free(relay.hasher);
    token_watch_free(relay.token_watch);
    tell_stop(&relay);
    for (size_t i = 0; i < relay.guard_count; i++)
        events_camera_free(relay.guards[i]);
    cameras_free(relay.cameras);
    if (relay.dns != NULL)
        evdns_base_free(relay.dns, 1); /* after its users: fails what is still resolving */
    if (http != NULL)
        evhttp_free(http);
    redirect_free(relay.redirect);
    events_store_close(relay.events);  /* after evhttp_free: replays count on it */
    access_log_free(relay.access_log); /* after evhttp_free: no request can complete now */
    tls_free(relay.tls);
    connlimit_free(relay.connlimit);   /* after evhttp_free: closing connections update it */
    share_file_free(relay.share_file); /* writes the links a last time */
    throttle_free(relay.node_throttle);
    session_file_free(relay.session_file); /* writes the sessions a last time */
    users_watch_free(relay.users_watch);
    auth_free(relay.auth);
    shares_free(relay.shares);
    audit_free(relay.audit);
    if (sigint != NULL)
        event_free(sigint);
    if (sigterm != NULL)
        event_free(sigterm);
    if (sighup != NULL)
        event_free(sighup);
    event_base_free(relay.base);
    return rc;
}

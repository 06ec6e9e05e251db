/*
 * lookout: the relay. One connection to the camera, any number of viewers, a web page to watch
 * and steer. See docs/ARCHITECTURE.md for how the pieces fit and docs/CONFIG.md for settings.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/http.h>

#include "auth.h"
#include "cfg.h"
#include "frame.h"
#include "hub.h"
#include "offline.h"
#include "ptz.h"
#include "relay.h"
#include "routes.h"
#include "snapshot.h"
#include "upstream.h"
#define LOG_TAG "lookout"
#include "log.h"

#ifndef LOOKOUT_VERSION
#define LOOKOUT_VERSION "0.1.0"
#endif

#define MAX_REQUEST_HEADERS_BYTES 8192
#define MAX_REQUEST_BODY_BYTES 4096
#define REQUEST_TIMEOUT_S 20

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lookout [--env FILE] [--listen ADDR:PORT] [--log-level LEVEL]\n"
            "\n"
            "The Lookout relay: one connection to the camera (CAM_URL), the live stream to any\n"
            "number of viewers, a web page to watch and steer (SERVO_URL).\n"
            "\n"
            "  --env FILE         read settings from FILE (default: ./.env if it exists)\n"
            "  --listen ADDR:PORT listen here (default 0.0.0.0:5000; port 0 picks a free one)\n"
            "  --log-level LEVEL  error, warn, info (default) or debug\n"
            "  --help             show this help\n"
            "  --version          show the version\n"
            "\n"
            "Settings (.env keys, overridden by the environment): HTTP_AUTH_USERNAME,\n"
            "HTTP_AUTH_PASSWORD, CAM_URL, SERVO_URL, LISTEN, MAX_VIEWERS, MAX_FRAME_BYTES, ...\n"
            "See docs/CONFIG.md.\n");
}

/* Settings from defaults, the .env file, the environment, then flags (highest). */
static int load_config(int argc, char **argv, struct cfg *cfg)
{
    static const struct option opts[] = {
        {"env", required_argument, NULL, 'e'},   {"listen", required_argument, NULL, 'l'},
        {"log-level", required_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},     {NULL, 0, NULL, 0},
    };
    const char *env_path = NULL, *listen = NULL, *level = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'e': env_path = optarg; break;
        case 'l': listen = optarg; break;
        case 'v': level = optarg; break;
        case 'h': usage(stdout); exit(0);
        case 'V': printf("lookout %s\n", LOOKOUT_VERSION); exit(0);
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lookout: unexpected argument: %s\n", argv[optind]);
        return 2;
    }
    char err[512];
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
    if (level != NULL && log_level_parse(level, &cfg->log_level) < 0) {
        fprintf(stderr, "lookout: --log-level: expected error, warn, info or debug\n");
        return 2;
    }
    if (cfg_validate(cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout: %s\n", err);
        return 1;
    }
    return 0;
}

static void on_frame(struct frame *frame, int64_t received_us, void *arg)
{
    struct relay *relay = arg;
    hub_publish(relay->hub, frame, received_us);
    snapshot_on_frame(relay->snapshot);
}

/* Viewers are what keeps the camera connection open (UPSTREAM_IDLE_TIMEOUT_MS). */
static void on_viewers(unsigned viewers, void *arg)
{
    struct relay *relay = arg;
    if (relay->upstream == NULL)
        return;
    if (viewers > 0 && !relay->is_holding_upstream)
        upstream_hold(relay->upstream);
    else if (viewers == 0 && relay->is_holding_upstream)
        upstream_release(relay->upstream);
    relay->is_holding_upstream = viewers > 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    LOG_INFO("signal %d: shutting down", (int)sig);
    event_base_loopexit(arg, NULL);
}

/* Log the URL actually bound (port 0 picks one), so scripts and tests can find it. */
static void log_bound(struct evhttp_bound_socket *bound)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
            port = ntohs(s6->sin6_port);
            LOG_INFO("listening on http://[%s]:%u/", host, port);
            return;
        }
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        port = ntohs(s4->sin_port);
    }
    LOG_INFO("listening on http://%s:%u/", host, port);
}

static int start(struct relay *relay, struct cfg *cfg, struct evhttp **http_out)
{
    const char *err = NULL;
    relay->auth = auth_new(cfg->username, cfg->password);
    /* The plaintext is not needed past this point. */
    explicit_bzero(cfg->password, sizeof(cfg->password));
    struct hub_config hc = {.max_viewers = cfg->max_viewers,
                            .max_viewers_per_address = cfg->max_viewers_per_address,
                            .stall_timeout_ms = cfg->viewer_stall_timeout_ms,
                            .on_viewers = on_viewers,
                            .on_viewers_arg = relay};
    relay->hub = hub_new(relay->base, &hc);
    if (relay->auth == NULL || relay->hub == NULL) {
        LOG_ERROR("out of memory");
        return -1;
    }
    struct evhttp *http = evhttp_new(relay->base);
    if (http == NULL)
        return -1;
    *http_out = http;
    evhttp_set_max_headers_size(http, MAX_REQUEST_HEADERS_BYTES);
    evhttp_set_max_body_size(http, MAX_REQUEST_BODY_BYTES);
    evhttp_set_timeout(http, REQUEST_TIMEOUT_S);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS);
    routes_install(http, relay);
    struct evhttp_bound_socket *bound =
        evhttp_bind_socket_with_handle(http, cfg->listen_host, cfg->listen_port);
    if (bound == NULL) {
        LOG_ERROR("cannot listen on %s:%u: %s", cfg->listen_host, (unsigned)cfg->listen_port,
                  strerror(errno));
        return -1;
    }
    log_bound(bound);
    relay->ptz = ptz_new(relay->base, cfg->servo_url, &err);
    if (relay->ptz == NULL) {
        LOG_ERROR("SERVO_URL: %s", err);
        return -1;
    }
    struct upstream_config uc = {.url = cfg->cam_url,
                                 .max_frame_bytes = cfg->max_frame_bytes,
                                 .stall_timeout_ms = cfg->upstream_stall_timeout_ms,
                                 .backoff_min_ms = 250,
                                 .backoff_max_ms = 10000,
                                 .idle_timeout_ms = cfg->upstream_idle_timeout_ms};
    relay->upstream = upstream_new(relay->base, &uc, on_frame, relay, &err);
    if (relay->upstream == NULL) {
        LOG_ERROR("CAM_URL: %s", err);
        return -1;
    }
    relay->snapshot = snapshot_new(relay->base, relay->hub, relay->upstream);
    relay->offline = offline_new(relay->base, relay->hub, relay->upstream,
                                 cfg->offline_frame_interval_ms);
    if (relay->snapshot == NULL || relay->offline == NULL) {
        LOG_ERROR("out of memory");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct cfg cfg;
    int rc = load_config(argc, argv, &cfg);
    if (rc != 0)
        return rc;
    log_current_level = cfg.log_level;
    signal(SIGPIPE, SIG_IGN);

    struct relay relay = {.cfg = &cfg, .started_us = hub_now_us()};
    struct evhttp *http = NULL;
    relay.base = event_base_new();
    if (relay.base == NULL) {
        LOG_ERROR("cannot create the event loop");
        return 1;
    }
    struct event *sigint = evsignal_new(relay.base, SIGINT, on_signal, relay.base);
    struct event *sigterm = evsignal_new(relay.base, SIGTERM, on_signal, relay.base);
    if (sigint == NULL || sigterm == NULL || evsignal_add(sigint, NULL) < 0 ||
        evsignal_add(sigterm, NULL) < 0) {
        LOG_ERROR("cannot install signal handlers");
        rc = 1;
    } else if (start(&relay, &cfg, &http) < 0) {
        rc = 1;
    } else {
        event_base_dispatch(relay.base);
    }

    /* Reverse order of creation; viewers go before the HTTP server that accepted them. */
    offline_free(relay.offline);
    snapshot_free(relay.snapshot);
    hub_free(relay.hub);
    upstream_free(relay.upstream);
    ptz_free(relay.ptz);
    if (http != NULL)
        evhttp_free(http);
    auth_free(relay.auth);
    if (sigint != NULL)
        event_free(sigint);
    if (sigterm != NULL)
        event_free(sigterm);
    event_base_free(relay.base);
    return rc;
}

#include "accept_pause.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#define LOG_TAG "accept"
#include "log.h"

static void on_resume(evutil_socket_t fd, short what, void *listener)
{
    (void)fd;
    (void)what;
    evconnlistener_enable(listener);
}

static void on_accept_error(struct evconnlistener *l, void *http)
{
    (void)http;
    int err = EVUTIL_SOCKET_ERROR();
    if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
        LOG_WARN("accept: %s", strerror(err));
        return; /* e.g. ECONNABORTED: the next one may well succeed */
    }
    /* At most one line per pause, not one per failed accept(). */
    LOG_WARN("out of file descriptors (%s): not accepting for %d ms", strerror(err),
             ACCEPT_PAUSE_MS);
    evconnlistener_disable(l);
    struct timeval tv = {.tv_sec = ACCEPT_PAUSE_MS / 1000,
                         .tv_usec = (ACCEPT_PAUSE_MS % 1000) * 1000};
    /* A one-shot timer owned by the loop: freed after it fires, or by event_base_free. */
    event_base_once(evconnlistener_get_base(l), -1, EV_TIMEOUT, on_resume, l, &tv);
}

static void on_watch(struct evhttp_bound_socket *bound, void *arg)
{
    (void)arg;
    evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(bound), on_accept_error);
}

/* Every viewer is a descriptor: take what the hard limit allows, and say if it is too little. */
static void raise_fd_limit(unsigned long needed)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < needed)
        LOG_WARN("the file descriptor limit is %lu, below the %lu the configured limits may need "
                 "(MAX_VIEWERS, MAX_CONNECTIONS): raise LimitNOFILE= or ulimit -n",
                 (unsigned long)rl.rlim_cur, needed);
}

void accept_pause_install(struct evhttp *http, unsigned long needed_fds)
{
    raise_fd_limit(needed_fds);
    evhttp_foreach_bound_socket(http, on_watch, NULL);
}

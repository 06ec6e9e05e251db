#include "token_watch.h"

#include <stdlib.h>

#include <event2/event.h>

#include "camera.h"
#include "cameras.h"

struct token_watch {
    struct cameras *set;
    struct event *timer;
};

static unsigned recheck(struct token_watch *w, int is_forced)
{
    unsigned changed = 0;
    for (size_t i = 0; i < cameras_count(w->set); i++)
        changed += camera_recheck_token(cameras_at(w->set, i), is_forced) == 1;
    return changed;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    recheck(arg, 0);
}

struct token_watch *token_watch_new(struct event_base *base, struct cameras *set, unsigned poll_ms)
{
    struct token_watch *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->set = set;
    if (poll_ms == 0)
        return w;
    w->timer = event_new(base, -1, EV_PERSIST, on_tick, w);
    struct timeval tv = {.tv_sec = poll_ms / 1000, .tv_usec = (poll_ms % 1000) * 1000};
    if (w->timer == NULL || event_add(w->timer, &tv) < 0) {
        token_watch_free(w);
        return NULL;
    }
    return w;
}

void token_watch_free(struct token_watch *w)
{
    if (w == NULL)
        return;
    if (w->timer != NULL)
        event_free(w->timer);
    free(w);
}

unsigned token_watch_reload(struct token_watch *w)
{
    return recheck(w, 1);
}

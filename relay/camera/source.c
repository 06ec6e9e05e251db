#include "source.h"

#include <string.h>

int source_is_online(const struct source *s)
{
    return s->ops != NULL && s->ops->is_online(s->impl);
}

int source_is_standby(const struct source *s)
{
    return s->ops != NULL && s->ops->is_standby(s->impl);
}

int source_is_connecting(const struct source *s)
{
    return s->ops != NULL && s->ops->is_connecting(s->impl);
}

const char *source_offline_reason(const struct source *s)
{
    return s->ops != NULL ? s->ops->offline_reason(s->impl) : "no source for this camera yet";
}

void source_hold(struct source *s)
{
    if (s->ops != NULL)
        s->ops->hold(s->impl);
}

void source_release(struct source *s)
{
    if (s->ops != NULL)
        s->ops->release(s->impl);
}

double source_fps(const struct source *s, int64_t now_us)
{
    return source_is_online(s) ? s->ops->fps(s->impl, now_us) : 0.0;
}

void source_get_stats(const struct source *s, struct source_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (s->ops != NULL)
        s->ops->get_stats(s->impl, out);
}

void source_free(struct source *s)
{
    if (s->ops != NULL && s->ops->free != NULL)
        s->ops->free(s->impl);
    s->ops = NULL;
    s->impl = NULL;
}

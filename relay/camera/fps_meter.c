#include "fps_meter.h"

#include <string.h>

void fps_meter_init(struct fps_meter *m)
{
    memset(m, 0, sizeof(*m));
}

void fps_meter_add(struct fps_meter *m, int64_t now_us)
{
    m->times_us[m->next++ % FPS_METER_WINDOW] = now_us;
}

double fps_meter_fps(const struct fps_meter *m, int64_t now_us)
{
    int64_t oldest = 0, newest = 0;
    unsigned n = 0;
    for (unsigned i = 0; i < FPS_METER_WINDOW && i < m->next; i++) {
        int64_t t = m->times_us[i];
        if (now_us - t > FPS_METER_MAX_AGE_US)
            continue;
        if (n == 0 || t < oldest)
            oldest = t;
        if (n == 0 || t > newest)
            newest = t;
        n++;
    }
    if (n < 2 || newest == oldest)
        return 0.0;
    return (double)(n - 1) * 1e6 / (double)(newest - oldest);
}

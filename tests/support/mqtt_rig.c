#include "mqtt_rig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "tmpdir.h"

int ts_mqtt_rig_init(struct ts_mqtt_rig *r)
{
    memset(r, 0, sizeof(*r));
    r->dir = ts_tmpdir_new();
    if (r->dir == NULL) {
        fprintf(stderr, "mqtt_rig: cannot create a temporary directory: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

void ts_mqtt_rig_deinit(struct ts_mqtt_rig *r)
{
    ts_mqtt_close(r->sub);
    r->sub = NULL;
    ts_stack_stop(&r->stack);
    ts_broker_stop(&r->broker);
    ts_tmpdir_free(r->dir);
    r->dir = NULL;
}

int ts_mqtt_rig_setup(void **state)
{
    struct ts_mqtt_rig *r = calloc(1, sizeof(*r));
    *state = r;
    return r != NULL && ts_mqtt_rig_init(r) == 0 ? 0 : -1;
}

int ts_mqtt_rig_teardown(void **state)
{
    struct ts_mqtt_rig *r = *state;
    if (r == NULL)
        return 0;
    ts_mqtt_rig_deinit(r);
    free(r);
    *state = NULL;
    return 0;
}

int ts_mqtt_rig_expect(struct ts_mqtt_rig *r, const char *topic, const char *needle, int timeout_ms,
                       struct ts_mqtt_msg *out)
{
    if (ts_mqtt_wait(r->sub, topic, needle, timeout_ms, out) == 0)
        return 0;
    fprintf(stderr, "no message on %s%s%s; received:\n", topic, needle ? " with " : "",
            needle ? needle : "");
    ts_mqtt_dump(r->sub);
    ts_proc_print_log(r->stack.relay_log, 40);
    return -ETIMEDOUT;
}

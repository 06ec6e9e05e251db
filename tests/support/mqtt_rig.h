#pragma once
/*
 * mqtt_rig: what an MQTT integration case runs on: its temporary directory, a Mosquitto broker
 * (broker.h), the simulated camera and a relay (stack.h), and a subscriber (mqtt_client.h).
 * The case starts each part itself (the broker may start late, or with TLS); deinit stops
 * whatever runs, by pid, so an assertion failure cannot leave a process behind.
 */
#include "broker.h"
#include "mqtt_client.h"
#include "stack.h"

/* Plain value type: the parts, each zero until the case starts it. */
struct ts_mqtt_rig {
    char *dir; /* ts_tmpdir_new */
    struct ts_broker broker;
    struct ts_stack stack;
    struct ts_mqtt *sub;
};

/* Zero r and make its temporary directory. Returns 0, or -1 after printing why. */
int ts_mqtt_rig_init(struct ts_mqtt_rig *r);

/* Close the subscriber, stop the stack, then the broker, and remove the directory (kept with
 * LOOKOUT_KEEP_TMP=1). Safe on a zeroed rig and twice. */
void ts_mqtt_rig_deinit(struct ts_mqtt_rig *r);

/* A cmocka setup and teardown: a new rig (calloc, ts_mqtt_rig_init) in *state, and its end. */
int ts_mqtt_rig_setup(void **state);
int ts_mqtt_rig_teardown(void **state);

/*
 * ts_mqtt_wait on r->sub for a message on `topic` (whose payload holds needle, if not NULL),
 * into *out. On a timeout, prints what came instead and the relay's last log lines to stderr.
 * Returns 0 or -ETIMEDOUT.
 */
int ts_mqtt_rig_expect(struct ts_mqtt_rig *r, const char *topic, const char *needle, int timeout_ms,
                       struct ts_mqtt_msg *out);

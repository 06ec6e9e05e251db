#pragma once
/*
 * link_msg: the control messages of the node link (docs/API.md, "Node link"): small JSON
 * objects carried in WebSocket text messages between a camera node and the relay. A strict,
 * bounded reader and the relay's writers, shared by the relay and both node ports.
 *
 * The reader takes one object and fills a fixed struct with the fields the protocol knows;
 * other members are skipped (a newer peer may add some) but must still be valid JSON (RFC 8259)
 * nested at most LINK_MSG_MAX_DEPTH deep. No allocation, no recursion, no locale, no floating
 * point: it builds for the ESP32 and arm-none-eabi with newlib.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The path the node asks for, under the relay's URL ("https://relay.example/" + "node/link"). */
#define LINK_MSG_PATH "node/link"
/* The longest text message either side sends or accepts, in bytes. */
#define LINK_MSG_MAX_BYTES 1024
/* Nesting of skipped members (objects and arrays), the message's own object being depth 1. */
#define LINK_MSG_MAX_DEPTH 4
/* Room for an "error" member's text (longer text is cut). */
#define LINK_MSG_ERROR_MAX 128
/* Integer members must lie in [-LINK_MSG_INT_MAX, LINK_MSG_INT_MAX] ("id": 0..2^32-1). */
#define LINK_MSG_INT_MAX 1000000000L

enum link_msg_type {
    LINK_MSG_OTHER = 0, /* a type this version does not know: ignore the message */
    LINK_MSG_STATUS,    /* node -> relay: angles, limits, camera facts */
    LINK_MSG_MOVED,     /* node -> relay: the answer to a move */
    LINK_MSG_MOVE,      /* relay -> node: a relative or absolute move */
    LINK_MSG_STREAM,    /* relay -> node: send frames or not */
};

/* A parsed message. Plain value type; has_* flags say which members were present. */
struct link_msg {
    enum link_msg_type type;
    bool has_id, has_status, has_tr, has_el, has_pan, has_tilt, has_target_pan, has_target_tilt;
    bool has_limits, has_on, has_error;
    uint32_t id;    /* move and moved: pairs an answer with its move */
    int status;     /* moved: 200, or the HTTP status the node's GET /control_servo gives */
    int tr, el;     /* move: relative degrees (tr > 0 turns left, el < 0 tilts up) */
    int pan, tilt;  /* move: absolute target; status and moved: current angles */
    int target_pan; /* status and moved: where the servos are heading */
    int target_tilt;
    int limits[4];                  /* pan min, pan max, tilt min, tilt max, degrees */
    bool on;                        /* stream: true to send frames */
    char error[LINK_MSG_ERROR_MAX]; /* moved with status != 200: one line, NUL-terminated */
};

/*
 * Parse one text message text[0..len) (need not be NUL-terminated). Returns 0 with *out filled,
 * or -EMSGSIZE (longer than LINK_MSG_MAX_BYTES) / -EPROTO (not one JSON object, nesting too
 * deep, no "type", a known member of the wrong type or out of range) with *reason set to a
 * static phrase such as "\"id\": not an integer". Never reads past text[len).
 */
int link_msg_parse(const char *text, size_t len, struct link_msg *out, const char **reason);

/*
 * Writers. Each writes one NUL-terminated message into out[0..size) and returns its length, or
 * -ENOSPC if it does not fit (LINK_MSG_MAX_BYTES always suffices).
 */
/* {"type":"move","id":ID,"tr":TR,"el":EL} */
int link_msg_write_move_by(char *out, size_t size, uint32_t id, int tr_deg, int el_deg);
/* {"type":"move","id":ID,"pan":PAN,"tilt":TILT} */
int link_msg_write_move_to(char *out, size_t size, uint32_t id, int pan_deg, int tilt_deg);
/* {"type":"stream","on":true|false} */
int link_msg_write_stream(char *out, size_t size, bool on);
/* {"type":"moved","id":ID,"status":STATUS,"error":"TEXT"} with TEXT escaped, cut to fit. */
int link_msg_write_error(char *out, size_t size, uint32_t id, int status, const char *text);

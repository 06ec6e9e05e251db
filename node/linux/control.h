#pragma once
/*
 * control: lookout-cam's control port. Routes come from node/ (node_handle: /control_servo,
 * /status; 404 and 405 too), so lookout-cam and the ESP32 firmware answer byte for byte alike;
 * this file only moves requests and replies between evhttp and node_handle.
 */
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evhttp_request;
struct node;
struct node_facts;

/* Fills *out with the port's camera and stream facts for /status; arg is the user pointer. */
typedef void (*control_facts_cb)(struct node_facts *out, void *arg);

struct control;

/*
 * Listen on addr:port (0: ephemeral) with evhttp on `base` and log
 * "control listening on http://ADDR:PORT/". node is borrowed (it must outlive the control
 * port) and mutated by moves; facts_cb(facts_arg) is called for each /status. addr is borrowed
 * for the call only. Returns NULL (after logging why) on failure.
 */
struct control *control_new(struct event_base *base, const char *addr, uint16_t port,
                            struct node *node, control_facts_cb facts_cb, void *facts_arg);

/* Close every connection and free; NULL is a no-op. */
void control_free(struct control *c);

/* The port actually bound. */
uint16_t control_port(const struct control *c);

struct basic_auth;
/* Require the credentials of auth (borrowed; must outlive the port) on every request: 401
 * otherwise (basic_auth.h). NULL: no login. */
void control_set_auth(struct control *c, const struct basic_auth *auth);

/*
 * The simulator's own routes under /sim/ (POST /sim/intruder, POST /sim/light?percent=N): the
 * handler fills body (a NUL-terminated one-line reply) and returns the HTTP status. Only
 * lookout-cam has them; the firmware never does.
 */
typedef int (*control_sim_cb)(const char *path, const char *query, char *body, size_t body_size,
                              void *arg);

/* Route POST /sim/... to cb(arg); NULL removes it (then /sim/... is 404 as any unknown path). */
void control_set_sim(struct control *c, control_sim_cb cb, void *arg);

/*
 * Answer req as the control port would (the node's routes). For the stream port, so that a
 * SERVO_URL without ":81" (the original's template) still steers. arg is the struct control.
 */
void control_handle_request(struct evhttp_request *req, void *arg);

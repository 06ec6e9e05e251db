#pragma once
/*
 * ws_upgrade: the server's half of the WebSocket opening handshake (RFC 6455 §4.2) on an evhttp
 * request: checking the client's request and writing the 101 on a connection taken over from
 * evhttp (libevent 2.1 has no WebSocket server; the framing afterwards is libwslay's).
 */
#include "ws_key.h"

struct bufferevent;
struct evhttp_request;

/*
 * Is req a valid opening handshake (GET, "Upgrade: websocket", "Connection: Upgrade",
 * "Sec-WebSocket-Version: 13", a 16-byte Sec-WebSocket-Key; RFC 6455 §4.2.1)? Returns 0 with
 * the Sec-WebSocket-Accept in accept; -EPROTONOSUPPORT for another version (answer 426 with
 * "Sec-WebSocket-Version: 13"); -EPROTO otherwise (answer 400). *reason is a static phrase.
 */
int ws_upgrade_check(struct evhttp_request *req, char accept[WS_ACCEPT_SIZE], const char **reason);

/* Write "101 Switching Protocols" with the accept key to bev's output. Returns 0 or -ENOMEM. */
int ws_upgrade_write_101(struct bufferevent *bev, const char accept[WS_ACCEPT_SIZE]);

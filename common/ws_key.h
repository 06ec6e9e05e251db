#pragma once
/*
 * ws_key: the keys of the WebSocket opening handshake (RFC 6455 §4.1, §4.2.2), which both the
 * relay (server) and lookout-cam (client) compute: Sec-WebSocket-Key is 16 random bytes in
 * base64; Sec-WebSocket-Accept is base64(SHA-1(key + the RFC's GUID)). OpenSSL does the hashing
 * and the base64.
 */

/* Both keys as text: a Sec-WebSocket-Key is 24 characters, an Accept 28; plus the NUL. */
#define WS_KEY_SIZE 25
#define WS_ACCEPT_SIZE 29

/* A fresh Sec-WebSocket-Key into out (NUL-terminated). Returns 0, or -EIO without randomness. */
int ws_key_new(char out[WS_KEY_SIZE]);

/*
 * The Sec-WebSocket-Accept for `key` (the client's header value, as sent) into out. Returns 0,
 * or -EINVAL if key is not 24 characters of base64 decoding to 16 bytes (RFC 6455 §4.2.1 item 5).
 */
int ws_key_accept(const char *key, char out[WS_ACCEPT_SIZE]);

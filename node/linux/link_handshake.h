#pragma once
/*
 * link_handshake: lookout-cam's check of the relay's answer to its WebSocket upgrade (RFC 6455
 * §4.1, §4.2.2), the opening of the node link: a 101 with the Sec-WebSocket-Accept that our key
 * calls for, or a refusal explained in words a user can act on. Text in, text out: no I/O.
 */
#include <stddef.h>

/* Room for a reason link_handshake_check writes. */
#define LINK_HANDSHAKE_WHY_MAX 200

/*
 * Check the relay's answer head (the status line and header lines with CRLF line ends,
 * NUL-terminated). expected_accept is ws_key_accept of our key, or NULL if it could not be
 * computed (then no 101 is good). Returns 0 for a good 101; otherwise -1 with why
 * (NUL-terminated, cut to why_size): not HTTP; a refusal (401: check the token file, 429:
 * throttled, 404: no node link there, else the status line); a wrong Sec-WebSocket-Accept.
 */
int link_handshake_check(const char *head, const char *expected_accept, char *why, size_t why_size);

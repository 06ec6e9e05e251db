#pragma once
/*
 * peer: the client's address as the relay compares, groups and logs it.
 *
 * On a dual-stack listener (`[::]:PORT`, the shipped lookout.socket) an IPv4 client arrives as
 * the IPv4-mapped IPv6 address ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). It is the IPv4 address
 * a.b.c.d and must count as that everywhere (connection caps, viewer caps, login throttling,
 * trusted proxies, logs); otherwise every IPv4 client would share one IPv6 /64.
 */
#include <stddef.h>

struct evhttp_connection;

/* Longest text peer_address and peer_normalize write, with the NUL. */
#define PEER_ADDRESS_MAX 48

/*
 * Write addr to out (out_size bytes, NUL-terminated, cut if it does not fit), with an
 * IPv4-mapped IPv6 address ("::ffff:192.0.2.1", any case) written as its IPv4 address
 * ("192.0.2.1"). Anything else is copied unchanged. Returns out.
 */
const char *peer_normalize(const char *addr, char *out, size_t out_size);

/* The normalized address of conn's peer into out (as peer_normalize); "?" if libevent has
 * none. conn is borrowed. Returns out. */
const char *peer_address(struct evhttp_connection *conn, char *out, size_t out_size);

#pragma once
/*
 * attack: raw sockets for tests that attack the relay on loopback the way a hostile client does
 * (byte by byte, without reading, from several source addresses), and the relay's memory use.
 *
 * Every call is bounded by its timeout. Addresses are numeric IPv4 or IPv6 literals; any
 * 127.0.0.0/8 address is this machine, so "127.0.0.2" is another client to the relay.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The resident memory of pid in KiB (VmRSS in /proc/PID/status), or a negative errno. */
long ts_rss_kb(pid_t pid);

/*
 * A blocking TCP socket from src (NULL: any) to dst:port, connected within timeout_ms.
 * Returns the descriptor (the caller closes it) or a negative errno.
 */
int ts_tcp_connect(const char *src, const char *dst, uint16_t port, int timeout_ms);

/* Send all of data[0..len) within timeout_ms. Returns 0, -ETIMEDOUT, or another -errno. */
int ts_send_all(int fd, const void *data, size_t len, int timeout_ms);

/*
 * Wait up to timeout_ms for the peer to close fd (read returns 0 or an error such as a reset),
 * discarding what it sends meanwhile. Returns 0 once closed, -ETIMEDOUT.
 */
int ts_wait_closed(int fd, int timeout_ms);

/*
 * Read into out (cap bytes, NUL-terminated) until the peer closes, the buffer is full, or
 * timeout_ms passes. Returns the number of bytes read (>= 0).
 */
size_t ts_read_some(int fd, char *out, size_t cap, int timeout_ms);

/*
 * One raw request from src to dst:port on a new connection: send `request` as is, read the
 * answer until close (at most out_cap - 1 bytes into out, NUL-terminated), all within
 * timeout_ms. Returns the status code of "HTTP/1.x NNN", or a negative errno (-EPROTO: no
 * status line).
 */
int ts_raw_request(const char *src, const char *dst, uint16_t port, const char *request, char *out,
                   size_t out_cap, int timeout_ms);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t ts_now_ms(void);

/* Sleep ms milliseconds. */
void ts_sleep_ms(int ms);

/*
 * A hostile peer on 127.0.0.1 (a camera's stream or control port), in a forked child that dies
 * with the test: for each connection it reads whatever arrives first, writes prefix[0..
 * prefix_len), then writes repeat[0..repeat_len) every gap_ms (0: as fast as the peer takes it)
 * until the peer leaves; at most 1 GiB per connection. The port is stored in *port.
 * Returns the child's pid (stop it with ts_hostile_stop), or a negative errno.
 */
pid_t ts_hostile_start(const void *prefix, size_t prefix_len, const void *repeat, size_t repeat_len,
                       int gap_ms, uint16_t *port);

/* Kill and reap a hostile peer. pid <= 0 is a no-op. */
void ts_hostile_stop(pid_t pid);

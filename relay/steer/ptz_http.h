#pragma once
/*
 * ptz_http: the pan/tilt transport (ptz_transport.h) that sends each move as an HTTP GET to the
 * node's control URL (SERVO_URL), one request per connection ("Connection: close": the ESP32
 * serves one request at a time), with the URL's credentials as Basic authorization, the answer
 * bounded to PTZ_HTTP_HEADERS_MAX + PTZ_HTTP_REPLY_MAX bytes and to PTZ_HTTP_TIMEOUT_S seconds
 * from sending to the last byte (a deadline, not an idle timeout).
 */
struct evdns_base;
struct event_base;
struct ptz_transport;

#define PTZ_HTTP_TIMEOUT_S 5
#define PTZ_HTTP_REPLY_MAX 4096
/* The node's answer head (status line and headers) at most: more is a failed move (502). */
#define PTZ_HTTP_HEADERS_MAX 8192

/*
 * Fill *out with an HTTP transport to servo_url (http[s]://[user:pass@]host[:port]/path[?query];
 * for https, the certificate is checked against ca_file, NULL or "": the system's CAs).
 * base and dns are borrowed (dns may be NULL: blocking resolution). Returns 0, or -EINVAL /
 * -ENOMEM with *err set (static string); *out is then untouched.
 */
int ptz_http_new(struct event_base *base, struct evdns_base *dns, const char *servo_url,
                 const char *ca_file, struct ptz_transport *out, const char **err);

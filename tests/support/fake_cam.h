#pragma once
/*
 * fake_cam: a scripted camera for integration tests, loopback only. It serves GET (any path)
 * with the original ESP32 firmware's stream format, byte for byte the way esp_http_server
 * sends it: HTTP/1.1 chunked, Content-Type multipart/x-mixed-replace;boundary=
 * MJPEG_ESP32_BOUNDARY, each part "\r\n--boundary\r\nContent-Type: image/jpeg\r\n
 * [Content-Length: N\r\n]\r\n" in one chunk and its bytes in the next. The parts given are sent
 * in order, over and over, with a pause after each, to one client at a time.
 *
 * It runs in a forked child (no exec) that dies with the test (PR_SET_PDEATHSIG); stop it with
 * ts_fake_cam_stop, by pid, in the test's teardown.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One part to send. Plain value type filled by the caller. */
struct ts_fake_part {
    const uint8_t *data; /* borrowed: copied into the child by fork */
    size_t len;
    int has_length; /* send Content-Length (as the ESP32 does); without it the part ends at the
                     * next delimiter */
    long length_error_bytes; /* added to the Content-Length sent: a camera that miscounts */
};

/*
 * Listen on 127.0.0.1 (a free port, stored in *port) and fork the child serving parts[0..count)
 * with gap_ms between parts. The port accepts connections when this returns.
 * Returns the child's pid, or a negative errno (socket or fork failure; -EINVAL for no parts).
 */
pid_t ts_fake_cam_start(const struct ts_fake_part *parts, size_t count, unsigned gap_ms,
                        uint16_t *port);

/*
 * The same, with the stream's Content-Type header value spelled as given (it must name
 * MJPEG_ESP32_BOUNDARY as the boundary, however written); NULL: the ESP32's.
 */
pid_t ts_fake_cam_start_typed(const struct ts_fake_part *parts, size_t count, unsigned gap_ms,
                              const char *content_type, uint16_t *port);

/* Kill the child (SIGKILL: it holds nothing worth a clean exit) and reap it. pid <= 0 is a
 * no-op. */
void ts_fake_cam_stop(pid_t pid);

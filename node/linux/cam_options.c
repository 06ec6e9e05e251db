#include "cam_options.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PROG "lookout-cam"

static const char usage[] =
    "usage: " PROG " [options]\n"
    "Simulated Lookout camera node: an MJPEG stream of a rendered scene, and simulated\n"
    "SG90 pan/tilt servos on a control port.\n"
    "\n"
    "  --bind ADDR          address for both ports (default 127.0.0.1)\n"
    "  --stream-port N      GET /mjpeg and /capture (default 8080; 0 = any free port)\n"
    "  --control-port N     GET /control_servo and /status (default 8081; 0 = any)\n"
    "  --size WxH           frame size (default 640x480)\n"
    "  --fps N              frames per second, 1..60 (default 15)\n"
    "  --quality N          JPEG quality, 1..100 (default 80)\n"
    "  --max-clients N      concurrent stream clients, 1..100 (default 2)\n"
    "  --scene FILE.jpg     show this JPEG (e.g. a panorama, at most 8192x8192) through a\n"
    "                       window that pans and tilts with the servos: pan 180..0 sweeps it\n"
    "                       left to right, tilt 0..180 top to bottom (default: a rendered\n"
    "                       landscape)\n"
    "  --relay URL          dial the relay at URL (https://relay.example/, or http:// on a\n"
    "                       LAN) and send frames and take moves over that one outbound\n"
    "                       link; no port is opened unless --stream-port/--control-port\n"
    "  --token-file FILE    the camera's token (the relay's NODE_TOKEN), with --relay\n"
    "  --ca-file FILE       PEM CAs to trust for an https:// relay (default: the system's)\n"
    "  --auth-file FILE     require HTTP Basic \"user:password\" (the file's first line)\n"
    "                       on both ports\n"
    "  --log-level LEVEL    error, warn, info or debug (default info)\n"
    "  --help               this text\n"
    "  --version            the version\n";

/* Strict unsigned decimal in [lo, hi]: digits only, no sign, no spaces, no overflow. */
static bool parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    if (s == NULL || *s == '\0' || strlen(s) > 9)
        return false;
    unsigned long v = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_size(const char *s, unsigned *width, unsigned *height)
{
    const char *x = strchr(s, 'x');
    if (x == NULL || x == s || strlen(x) < 2 || x - s > 9)
        return false;
    char w_text[10];
    memcpy(w_text, s, (size_t)(x - s));
    w_text[x - s] = '\0';
    unsigned long w, h;
    if (!parse_uint(w_text, 16, 4096, &w) || !parse_uint(x + 1, 16, 4096, &h))
        return false;
    *width = (unsigned)w;
    *height = (unsigned)h;
    return true;
}

static bool is_ip_address(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static enum cam_options_result bad(FILE *err, const char *flag, const char *expected,
                                   const char *value)
{
    fprintf(err, PROG ": %s: expected %s, got \"%s\" (see --help)\n", flag, expected,
            value ? value : "");
    return CAM_OPTIONS_EXIT_USAGE;
}

enum cam_options_result cam_options_parse(int argc, char **argv, struct cam_options *out,
                                          FILE *out_stream, FILE *err_stream)
{
    *out = (struct cam_options){
        .bind_addr = "127.0.0.1",
        .stream_port = 8080,
        .control_port = 8081,
        .width = 640,
        .height = 480,
        .fps = 15,
        .quality = 80,
        .max_clients = 2,
        .scene_path = NULL,
        .log_level = LOG_LEVEL_INFO,
    };
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, out_stream);
            return CAM_OPTIONS_EXIT_OK;
        }
        if (strcmp(arg, "--version") == 0) {
            fprintf(out_stream, PROG " %s\n", CAM_VERSION);
            return CAM_OPTIONS_EXIT_OK;
        }
        /* Split "--flag=value"; otherwise the value is the next argument. */
        char flag[32];
        const char *value = NULL;
        const char *eq = strchr(arg, '=');
        size_t flag_len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (strncmp(arg, "--", 2) != 0 || flag_len >= sizeof(flag)) {
            fprintf(err_stream, PROG ": unknown argument \"%s\" (see --help)\n", arg);
            return CAM_OPTIONS_EXIT_USAGE;
        }
        memcpy(flag, arg, flag_len);
        flag[flag_len] = '\0';
        if (eq != NULL)
            value = eq + 1;
        else if (i + 1 < argc)
            value = argv[++i];

        unsigned long n;
        if (strcmp(flag, "--bind") == 0) {
            if (value == NULL || !is_ip_address(value))
                return bad(err_stream, flag, "an IPv4 or IPv6 address", value);
            out->bind_addr = value;
        } else if (strcmp(flag, "--stream-port") == 0 || strcmp(flag, "--control-port") == 0) {
            if (!parse_uint(value, 0, 65535, &n))
                return bad(err_stream, flag, "a port 0..65535", value);
            if (flag[2] == 's') {
                out->stream_port = (uint16_t)n;
                out->has_stream_port = 1;
            } else {
                out->control_port = (uint16_t)n;
                out->has_control_port = 1;
            }
        } else if (strcmp(flag, "--size") == 0) {
            if (value == NULL || !parse_size(value, &out->width, &out->height))
                return bad(err_stream, flag, "WxH with each side 16..4096", value);
        } else if (strcmp(flag, "--fps") == 0) {
            if (!parse_uint(value, 1, 60, &n))
                return bad(err_stream, flag, "an integer 1..60", value);
            out->fps = (unsigned)n;
        } else if (strcmp(flag, "--quality") == 0) {
            if (!parse_uint(value, 1, 100, &n))
                return bad(err_stream, flag, "an integer 1..100", value);
            out->quality = (int)n;
        } else if (strcmp(flag, "--max-clients") == 0) {
            if (!parse_uint(value, 1, 100, &n))
                return bad(err_stream, flag, "an integer 1..100", value);
            out->max_clients = (unsigned)n;
        } else if (strcmp(flag, "--scene") == 0) {
            if (value == NULL || value[0] == '\0')
                return bad(err_stream, flag, "a JPEG file", value);
            out->scene_path = value;
        } else if (strcmp(flag, "--relay") == 0 || strcmp(flag, "--token-file") == 0 ||
                   strcmp(flag, "--ca-file") == 0 || strcmp(flag, "--auth-file") == 0) {
            if (value == NULL || value[0] == '\0')
                return bad(err_stream, flag, flag[2] == 'r' ? "a URL" : "a file", value);
            const char **slot = flag[2] == 'r'   ? &out->relay_url
                                : flag[2] == 't' ? &out->token_file
                                : flag[3] == 'a' ? &out->ca_file
                                                 : &out->auth_file;
            *slot = value;
        } else if (strcmp(flag, "--log-level") == 0) {
            if (value == NULL || log_level_parse(value, &out->log_level) != 0)
                return bad(err_stream, flag, "error, warn, info or debug", value);
        } else {
            fprintf(err_stream, PROG ": unknown flag %s (see --help)\n", flag);
            return CAM_OPTIONS_EXIT_USAGE;
        }
    }
    if ((out->relay_url != NULL) != (out->token_file != NULL)) {
        fprintf(err_stream, PROG ": %s\n",
                out->relay_url ? "--relay needs --token-file FILE (the relay's NODE_TOKEN)"
                               : "--token-file is only used with --relay URL");
        return CAM_OPTIONS_EXIT_USAGE;
    }
    if (out->stream_port != 0 && out->stream_port == out->control_port) {
        fprintf(err_stream, PROG ": --control-port: must differ from --stream-port (%u)\n",
                (unsigned)out->stream_port);
        return CAM_OPTIONS_EXIT_USAGE;
    }
    return CAM_OPTIONS_RUN;
}

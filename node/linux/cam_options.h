#pragma once
/*
 * cam_options: lookout-cam's command line. Every flag has a default; a bad value is one line
 * on stderr naming the flag, and exit status 2.
 */
#include <stdint.h>
#include <stdio.h>

#include "log.h"

#define CAM_VERSION "0.1.0"

/* Parsed flags. Plain value type; bind_addr and scene_path point into argv (or a static
 * default). The scene file is only named here: main opens and decodes it. */
struct cam_options {
    const char *bind_addr;    /* --bind, default 127.0.0.1 */
    uint16_t stream_port;     /* --stream-port, default 8080; 0 = ephemeral */
    uint16_t control_port;    /* --control-port, default 8081; 0 = ephemeral */
    unsigned width, height;   /* --size WxH, default 640x480, each 16..4096 */
    unsigned fps;             /* --fps, default 15, 1..60 */
    int quality;              /* --quality, default 80, 1..100 */
    unsigned max_clients;     /* --max-clients, default 2, 1..100 */
    const char *scene_path;   /* --scene FILE.jpg, default NULL: the rendered landscape */
    const char *relay_url;    /* --relay URL: dial the relay (no listening port by default) */
    const char *token_file;   /* --token-file FILE: the camera's NODE_TOKEN, with --relay */
    const char *ca_file;      /* --ca-file FILE: CAs to trust for an https:// relay */
    const char *auth_file;    /* --auth-file FILE: "user:password" both ports require */
    int has_stream_port;      /* --stream-port was given (with --relay: serve it too) */
    int has_control_port;     /* --control-port was given */
    enum log_level log_level; /* --log-level, default info */
};

enum cam_options_result {
    CAM_OPTIONS_RUN = 0,   /* *out is filled: start */
    CAM_OPTIONS_EXIT_OK,   /* --help or --version was printed to out_stream: exit 0 */
    CAM_OPTIONS_EXIT_USAGE /* an error line was printed to err_stream: exit 2 */
};

/*
 * Parse argv[1..argc) ("--flag VALUE" or "--flag=VALUE") into *out. Help and version go to
 * out_stream, errors (one line, naming the flag) to err_stream. argv is borrowed and must
 * outlive *out.
 */
enum cam_options_result cam_options_parse(int argc, char **argv, struct cam_options *out,
                                          FILE *out_stream, FILE *err_stream);

#include "stack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "proc.h"
#include "tmpdir.h"

#define STARTUP_TIMEOUT_MS 10000

char *const ts_stack_clean_env[] = {"HTTP_AUTH_USERNAME",
                                    "HTTP_AUTH_PASSWORD",
                                    "CAM_URL",
                                    "SERVO_URL",
                                    "LISTEN",
                                    "LISTEN_FDS",
                                    "LISTEN_PID",
                                    "NOTIFY_SOCKET",
                                    "NODE_TOKEN",
                                    "NODE_TOKEN_FILE",
                                    NULL};

const char *ts_bin_dir(void)
{
    const char *dir = getenv("LOOKOUT_BIN_DIR");
    return (dir != NULL && dir[0] != '\0') ? dir : "build";
}

/* Start one program and wait for its "<prefix>HOST:PORT" log line. Returns the port or < 0. */
int ts_stack_stop(struct ts_stack *s)
{
    int relay = ts_proc_stop_reporting("stack", &s->relay_pid, "lookout", s->relay_log);
    int cam = ts_proc_stop_reporting("stack", &s->cam_pid, "lookout-cam", s->cam_log);
    return relay != 0 ? relay : cam;
}

int ts_stack_start(struct ts_stack *s, const char *dir, unsigned fps, const char *extra_env_lines)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->cam_log, sizeof(s->cam_log), "%s/lookout-cam.log", dir);
    snprintf(s->relay_log, sizeof(s->relay_log), "%s/lookout.log", dir);
    char cam_bin[512], relay_bin[512], fps_text[16];
    snprintf(cam_bin, sizeof(cam_bin), "%s/lookout-cam", ts_bin_dir());
    snprintf(relay_bin, sizeof(relay_bin), "%s/lookout", ts_bin_dir());
    snprintf(fps_text, sizeof(fps_text), "%u", fps);

    char *cam_argv[] = {cam_bin, "--stream-port", "0",      "--control-port",
                        "0",     "--fps",         fps_text, NULL};
    int port = ts_proc_start_port("stack", cam_argv, ts_stack_clean_env, s->cam_log,
                                  "stream listening on http://", STARTUP_TIMEOUT_MS, &s->cam_pid);
    if (port < 0)
        goto fail;
    s->stream_port = (uint16_t)port;
    port = ts_proc_log_port(s->cam_log, "control listening on http://", STARTUP_TIMEOUT_MS);
    if (port < 0) {
        fprintf(stderr, "stack: lookout-cam logged no control port\n");
        goto fail;
    }
    s->control_port = (uint16_t)port;

    char env_text[2048];
    int n = snprintf(env_text, sizeof(env_text),
                     "HTTP_AUTH_USERNAME=%s\nHTTP_AUTH_PASSWORD=%s\n"
                     "CAM_URL=http://127.0.0.1:%u/mjpeg\n"
                     "SERVO_URL=http://127.0.0.1:%u/control_servo\n%s",
                     TS_STACK_USER, TS_STACK_PASSWORD, (unsigned)s->stream_port,
                     (unsigned)s->control_port, extra_env_lines ? extra_env_lines : "");
    if (n < 0 || (size_t)n >= sizeof(env_text) ||
        (port = ts_file_write(dir, ".env", env_text, s->env_path, sizeof(s->env_path))) < 0) {
        fprintf(stderr, "stack: cannot write %s/.env\n", dir);
        port = -EIO;
        goto fail;
    }
    char *relay_argv[] = {relay_bin, "--env", s->env_path, "--listen", "127.0.0.1:0", NULL};
    port = ts_proc_start_port("stack", relay_argv, ts_stack_clean_env, s->relay_log,
                              "listening on http://", STARTUP_TIMEOUT_MS, &s->relay_pid);
    if (port < 0)
        goto fail;
    s->relay_port = (uint16_t)port;
    if (ts_basic_auth_header(TS_STACK_USER, TS_STACK_PASSWORD, s->auth, sizeof(s->auth)) < 0) {
        port = -ENOSPC;
        goto fail;
    }
    return 0;

fail:
    ts_stack_stop(s);
    return port < 0 ? port : -EIO;
}

int ts_stack_restart_relay(struct ts_stack *s)
{
    int rc = ts_proc_stop_reporting("stack", &s->relay_pid, "lookout", s->relay_log);
    if (rc != 0)
        return -EIO;
    char dir[400];
    snprintf(dir, sizeof(dir), "%.399s", s->relay_log);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    s->relay_starts++;
    snprintf(s->relay_log, sizeof(s->relay_log), "%s/lookout.%u.log", dir, s->relay_starts);
    char relay_bin[512];
    snprintf(relay_bin, sizeof(relay_bin), "%s/lookout", ts_bin_dir());
    char *relay_argv[] = {relay_bin, "--env", s->env_path, "--listen", "127.0.0.1:0", NULL};
    int port = ts_proc_start_port("stack", relay_argv, ts_stack_clean_env, s->relay_log,
                                  "listening on http://", STARTUP_TIMEOUT_MS, &s->relay_pid);
    if (port < 0)
        return port;
    s->relay_port = (uint16_t)port;
    return 0;
}

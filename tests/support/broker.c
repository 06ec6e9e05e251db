#include "broker.h"

#include <errno.h>
#include <pwd.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "run.h"
#include "tmpdir.h"

#define BROKER_START_TIMEOUT_MS 10000

int ts_broker_start(struct ts_broker *b, const char *dir, uint16_t port, const char *cert_path,
                    const char *key_path)
{
    char bin[512];
    memset(b, 0, sizeof(*b));
    if (ts_which("mosquitto", bin, sizeof(bin)) < 0) {
        fprintf(stderr, "broker: mosquitto is not installed (scripts/install-deps)\n");
        return -ENOENT;
    }
    if (port == 0) {
        int p = ts_free_port();
        if (p < 0)
            return p;
        port = (uint16_t)p;
    }
    b->port = port;
    /* Run as the test's own user: as root, mosquitto would switch to "mosquitto", which cannot
     * read the test's private directory. */
    const struct passwd *pw = getpwuid(getuid());
    char text[2048];
    int is_tls = cert_path != NULL && key_path != NULL;
    snprintf(text, sizeof(text),
             "listener %u 127.0.0.1\nallow_anonymous true\nlog_dest stderr\nlog_type all\n"
             "persistence false\nuser %s\n%s%s%s%s%s",
             (unsigned)port, pw != NULL ? pw->pw_name : "mosquitto", is_tls ? "certfile " : "",
             is_tls ? cert_path : "", is_tls ? "\nkeyfile " : "", is_tls ? key_path : "",
             is_tls ? "\n" : "");
    int rc = ts_file_write(dir, "mosquitto.conf", text, b->conf, sizeof(b->conf));
    if (rc < 0)
        return rc;
    snprintf(b->log, sizeof(b->log), "%s/mosquitto.log", dir);
    /* A restarted broker gets a fresh log (the old one is kept as .old), so waiting for its
     * start line does not find the previous start's. */
    char old[600];
    snprintf(old, sizeof(old), "%s.old", b->log);
    rename(b->log, old);
    char *argv[] = {bin, "-c", b->conf, NULL};
    pid_t pid = ts_proc_spawn(argv, NULL, b->log);
    if (pid < 0)
        return (int)pid;
    b->pid = pid;
    /* "running" comes after the listeners are open ("Opening ... on port" comes before). */
    if (ts_proc_wait_log(b->log, " running", BROKER_START_TIMEOUT_MS, NULL, 0) < 0) {
        fprintf(stderr, "broker: mosquitto did not start on port %u\n", (unsigned)port);
        ts_proc_print_log(b->log, 20);
        ts_broker_stop(b);
        return -ETIMEDOUT;
    }
    return 0;
}

void ts_broker_stop(struct ts_broker *b)
{
    if (b->pid > 0)
        ts_proc_stop(b->pid);
    b->pid = 0;
}

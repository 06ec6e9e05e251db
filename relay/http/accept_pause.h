#pragma once
/*
 * accept_pause: what the relay does when it runs out of file descriptors.
 *
 * libevent's listener retries a failing accept() at once, forever: out of descriptors (EMFILE)
 * that is a busy loop at 100 % CPU writing a warning per try. Instead, a listener that hits it
 * pauses for ACCEPT_PAUSE_MS, says so in one line, and tries again. At start-up the soft
 * RLIMIT_NOFILE is raised to the hard limit, and a limit below what the configuration may need
 * is warned about.
 */
struct evhttp;

#define ACCEPT_PAUSE_MS 1000

/*
 * Watch every socket `http` listens on (call after binding). needed_fds is how many descriptors
 * the configuration may use (viewers, connections, margin), for the start-up warning.
 */
void accept_pause_install(struct evhttp *http, unsigned long needed_fds);

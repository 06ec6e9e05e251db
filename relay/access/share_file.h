#pragma once
/*
 * share_file: keeps the guest links in SHARES_FILE (token hashes, never tokens) across restarts,
 * and ends links when their time is up. A timer on the loop, once a second: shares_expire (each
 * link that has just expired goes to on_expired, which closes its streams), then a write if
 * anything changed (atomic, mode 0600). A write that fails is logged once.
 */
#include "share.h"

struct event_base;
struct share_file;

/*
 * Load path ("" : keep nothing on disk) into s (borrowed; must outlive the keeper) and start the
 * timer. on_expired(link, arg) may be NULL. NULL on allocation failure or an unreadable file.
 */
struct share_file *share_file_new(struct event_base *base, struct shares *s, const char *path,
                                  shares_expired_cb on_expired, void *arg);

/* Write a last time and stop; share_file_free(NULL) is a no-op. */
void share_file_free(struct share_file *f);

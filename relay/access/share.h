#pragma once
/*
 * share: guest links. An operator hands someone a URL (/s/TOKEN) that shows the picture of some
 * cameras, view only, without an account, until it expires or is revoked.
 *
 * The token is 256 random bits from getrandom(2) sent as 64 hex digits; only its SHA-256 is
 * kept (in memory and in SHARES_FILE), compared with CRYPTO_memcmp against every link so the
 * time taken does not depend on which bytes matched. Each link also has a public id (hex of
 * SHA-256(SHA-256(token)), SHARE_ID_CHARS digits) for lists, revoking and the audit. Times are
 * wall-clock seconds: "until 06:00 tomorrow" means the clock on the wall. A link is live while
 * now < expires_s and it is not revoked; at expires_s exactly it is expired. Dead links are kept
 * SHARE_KEEP_DEAD_S after they died, so opening one says "expired" or "revoked" (410), not "no
 * such link", then forgotten. The table is bounded (SHARE_MAX live or dead links).
 */
#include <stddef.h>
#include <stdint.h>

#include "session.h"
#include "users.h"

#define SHARE_MAX 256
#define SHARE_TOKEN_CHARS 64
#define SHARE_ID_CHARS SESSION_SHARE_CHARS
#define SHARE_LABEL_MAX 64    /* bytes of a label, NUL included */
#define SHARE_CAMERAS_MAX 256 /* bytes of the comma-separated camera list, NUL included */
#define SHARE_MAX_LIFETIME_S (31 * 24 * 3600)
#define SHARE_KEEP_DEAD_S (7 * 24 * 3600)

struct shares;

enum share_state { SHARE_LIVE, SHARE_EXPIRED, SHARE_REVOKED, SHARE_UNKNOWN };

/* What a link is (a plain value type). */
struct share_info {
    char id[SHARE_ID_CHARS + 1];
    char label[SHARE_LABEL_MAX];
    char creator[USER_NAME_MAX];
    char cameras[SHARE_CAMERAS_MAX];           /* comma-separated camera names */
    int64_t created_s, expires_s, last_used_s; /* wall clock; last_used_s 0: never opened */
    int64_t revoked_s;                         /* 0: not revoked */
    unsigned uses;                             /* times the link was opened */
};

/* New, empty table. NULL on allocation failure. */
struct shares *shares_new(void);

/* Free; shares_free(NULL) is a no-op. */
void shares_free(struct shares *s);

/*
 * A new link for `cameras` (comma-separated names, each checked by the caller), made by
 * `creator`, labelled `label` ("" for none; printable, no control characters), live from now_s
 * until expires_s. Writes the token (64 hex digits, NUL) to token_out and the link to *out.
 * Returns 0; -EINVAL with *reason (static) for a bad label, camera list or expiry (not after now,
 * or more than SHARE_MAX_LIFETIME_S away); -ENOSPC when SHARE_MAX links are live; -EIO without
 * random bytes.
 */
int shares_create(struct shares *s, const char *creator, const char *cameras, const char *label,
                  int64_t now_s, int64_t expires_s, char token_out[SHARE_TOKEN_CHARS + 1],
                  struct share_info *out, const char **reason);

/*
 * Open a link by its token (any string) at now_s: SHARE_LIVE (counted as a use, *out filled),
 * SHARE_EXPIRED or SHARE_REVOKED (*out filled), SHARE_UNKNOWN (a guess, or long gone).
 */
enum share_state shares_open(struct shares *s, const char *token, int64_t now_s,
                             struct share_info *out);

/* The state of link `id` at now_s; *out filled unless SHARE_UNKNOWN (out may be NULL). */
enum share_state shares_state(const struct shares *s, const char *id, int64_t now_s,
                              struct share_info *out);

/* 1 if link `id` is live at now_s and names `camera` in its list. */
int shares_may_see(const struct shares *s, const char *id, const char *camera, int64_t now_s);

/* Revoke link `id` at now_s. Returns 0, -ENOENT, or -EALREADY if it is not live. */
int shares_revoke(struct shares *s, const char *id, int64_t now_s);

/* The link in slot i (0 <= i < SHARE_MAX) into *out: 0, or -ENOENT for an empty slot. */
int shares_get(const struct shares *s, size_t i, struct share_info *out);

/* Called once for each link that has expired since the last shares_expire. */
typedef void (*shares_expired_cb)(const struct share_info *link, void *arg);

/*
 * Note the links whose time is up at now_s (calling on_expired for each, once) and forget those
 * dead for more than SHARE_KEEP_DEAD_S. Returns how many expired now.
 */
unsigned shares_expire(struct shares *s, int64_t now_s, shares_expired_cb on_expired, void *arg);

/* Has the table changed since the last shares_save? */
int shares_is_dirty(const struct shares *s);

/*
 * Write the table (token hashes, never tokens) to path atomically, mode 0600, or read it back (a
 * missing file is no error; a bad line is skipped and counted in *bad). Return 0 / the number
 * loaded, or a negative errno.
 */
int shares_save(struct shares *s, const char *path);
int shares_load(struct shares *s, const char *path, unsigned *bad);

/*
 * When a link made at now_s should end, from the page's choice: "1h", "tonight" (06:00 next
 * morning, local time, or today's if it is before 06:00), "week", or Unix seconds. Returns 0, or
 * -EINVAL.
 */
int share_parse_expiry(const char *text, int64_t now_s, int64_t *expires_s);

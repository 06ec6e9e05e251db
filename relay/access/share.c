#include "share.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atomic_file.h"
#include "token.h"

struct link {
    unsigned char token_hash[TOKEN_HASH_BYTES];
    int is_used;
    int is_expiry_noted; /* shares_expire has reported it */
    struct share_info info;
};

struct shares {
    struct link list[SHARE_MAX];
    int is_dirty;
};

struct shares *shares_new(void)
{
    return calloc(1, sizeof(struct shares));
}

void shares_free(struct shares *s)
{
    if (s != NULL)
        explicit_bzero(s, sizeof(*s));
    free(s);
}

static void make_id(struct link *l)
{
    token_public_id(l->token_hash, l->info.id, SHARE_ID_CHARS);
}

static enum share_state state_of(const struct link *l, int64_t now_s)
{
    if (l->info.revoked_s != 0)
        return SHARE_REVOKED;
    return now_s < l->info.expires_s ? SHARE_LIVE : SHARE_EXPIRED;
}

/* Printable text: no control characters (it goes into JSON, logs and the page). */
static int label_ok(const char *label)
{
    if (strlen(label) >= SHARE_LABEL_MAX)
        return 0;
    for (const unsigned char *p = (const unsigned char *)label; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    }
    return 1;
}

/* "name,name": each 1-32 of a-z 0-9 _ - (camera names), at least one. */
static int cameras_ok(const char *list)
{
    size_t n = strlen(list);
    if (n == 0 || n >= SHARE_CAMERAS_MAX ||
        strspn(list, "abcdefghijklmnopqrstuvwxyz0123456789_-,") != n)
        return 0;
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len > 32)
            return 0;
        if (p[len] == '\0')
            return 1;
        p += len + 1;
    }
}

/* A slot: an empty one, else the dead link that died first. NULL if every link is live. */
static struct link *free_slot(struct shares *s, int64_t now_s)
{
    struct link *dead = NULL;
    for (size_t i = 0; i < SHARE_MAX; i++) {
        struct link *l = &s->list[i];
        if (!l->is_used)
            return l;
        if (state_of(l, now_s) != SHARE_LIVE &&
            (dead == NULL || l->info.expires_s < dead->info.expires_s))
            dead = l;
    }
    return dead;
}

int shares_create(struct shares *s, const char *creator, const char *cameras, const char *label,
                  int64_t now_s, int64_t expires_s, char token_out[SHARE_TOKEN_CHARS + 1],
                  struct share_info *out, const char **reason)
{
    if (!label_ok(label)) {
        *reason = "label: up to 63 bytes of printable text";
        return -EINVAL;
    }
    if (!cameras_ok(cameras)) {
        *reason = "cameras: one or more camera names, comma-separated";
        return -EINVAL;
    }
    if (expires_s <= now_s || expires_s - now_s > SHARE_MAX_LIFETIME_S) {
        *reason = "expires: in the future, at most 31 days away";
        return -EINVAL;
    }
    struct link *l = free_slot(s, now_s);
    if (l == NULL) {
        *reason = "too many live guest links: revoke one first";
        return -ENOSPC;
    }
    if (token_new(token_out) < 0) {
        *reason = "no random bytes";
        return -EIO;
    }
    memset(l, 0, sizeof(*l));
    if (token_hash(token_out, l->token_hash) < 0) {
        *reason = "cannot hash the token";
        return -EIO;
    }
    l->is_used = 1;
    make_id(l);
    snprintf(l->info.label, sizeof(l->info.label), "%s", label);
    snprintf(l->info.creator, sizeof(l->info.creator), "%s", creator);
    snprintf(l->info.cameras, sizeof(l->info.cameras), "%s", cameras);
    l->info.created_s = now_s;
    l->info.expires_s = expires_s;
    *out = l->info;
    s->is_dirty = 1;
    return 0;
}

/* Every slot is compared (CRYPTO_memcmp), so the time does not say how close a guess came. */
static struct link *find_token(struct shares *s, const char *token)
{
    unsigned char h[TOKEN_HASH_BYTES];
    if (token_hash(token, h) < 0)
        return NULL;
    struct link *found = NULL;
    for (size_t i = 0; i < SHARE_MAX; i++) {
        struct link *l = &s->list[i];
        if (token_hash_equal(l->token_hash, h) && l->is_used)
            found = l;
    }
    return found;
}

static struct link *find_id(const struct shares *s, const char *id)
{
    for (size_t i = 0; i < SHARE_MAX; i++) {
        const struct link *l = &s->list[i];
        if (l->is_used && strcmp(l->info.id, id) == 0)
            return (struct link *)l;
    }
    return NULL;
}

enum share_state shares_open(struct shares *s, const char *token, int64_t now_s,
                             struct share_info *out)
{
    struct link *l = find_token(s, token);
    if (l == NULL)
        return SHARE_UNKNOWN;
    enum share_state st = state_of(l, now_s);
    if (st == SHARE_LIVE) {
        l->info.last_used_s = now_s;
        l->info.uses++;
        s->is_dirty = 1;
    }
    *out = l->info;
    return st;
}

enum share_state shares_state(const struct shares *s, const char *id, int64_t now_s,
                              struct share_info *out)
{
    const struct link *l = find_id(s, id);
    if (l == NULL)
        return SHARE_UNKNOWN;
    if (out != NULL)
        *out = l->info;
    return state_of(l, now_s);
}

int shares_may_see(const struct shares *s, const char *id, const char *camera, int64_t now_s)
{
    const struct link *l = find_id(s, id);
    if (l == NULL || state_of(l, now_s) != SHARE_LIVE)
        return 0;
    size_t n = strlen(camera);
    for (const char *p = l->info.cameras; *p != '\0';) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, camera, n) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

int shares_revoke(struct shares *s, const char *id, int64_t now_s)
{
    struct link *l = find_id(s, id);
    if (l == NULL)
        return -ENOENT;
    if (state_of(l, now_s) != SHARE_LIVE)
        return -EALREADY;
    l->info.revoked_s = now_s;
    l->is_expiry_noted = 1; /* revoking closed its streams already */
    s->is_dirty = 1;
    return 0;
}

int shares_get(const struct shares *s, size_t i, struct share_info *out)
{
    if (i >= SHARE_MAX || !s->list[i].is_used)
        return -ENOENT;
    *out = s->list[i].info;
    return 0;
}

unsigned shares_expire(struct shares *s, int64_t now_s, shares_expired_cb on_expired, void *arg)
{
    unsigned n = 0;
    for (size_t i = 0; i < SHARE_MAX; i++) {
        struct link *l = &s->list[i];
        if (!l->is_used || state_of(l, now_s) == SHARE_LIVE)
            continue;
        int64_t died_s = l->info.revoked_s != 0 ? l->info.revoked_s : l->info.expires_s;
        if (!l->is_expiry_noted) {
            l->is_expiry_noted = 1;
            n++;
            if (on_expired != NULL)
                on_expired(&l->info, arg);
        }
        if (now_s - died_s > SHARE_KEEP_DEAD_S) {
            memset(l, 0, sizeof(*l));
            s->is_dirty = 1;
        }
    }
    return n;
}

int shares_is_dirty(const struct shares *s)
{
    return s->is_dirty;
}

/* hash id created expires last_used revoked uses cameras creator<TAB>label; TAB-separated. */
static int write_table(FILE *f, const void *arg)
{
    const struct shares *s = arg;
    fprintf(f, "# lookout guest links 1: sha256(token) created expires last_used revoked uses "
               "cameras creator label\n");
    for (size_t i = 0; i < SHARE_MAX; i++) {
        const struct link *l = &s->list[i];
        if (!l->is_used)
            continue;
        char hex[2 * TOKEN_HASH_BYTES + 1];
        token_hash_hex(l->token_hash, hex);
        const struct share_info *in = &l->info;
        fprintf(f, "%s\t%lld\t%lld\t%lld\t%lld\t%u\t%s\t%s\t%s\n", hex, (long long)in->created_s,
                (long long)in->expires_s, (long long)in->last_used_s, (long long)in->revoked_s,
                in->uses, in->cameras, in->creator, in->label);
    }
    return ferror(f) ? -EIO : 0;
}

int shares_save(struct shares *s, const char *path)
{
    int rc = atomic_file_write(path, write_table, s);
    if (rc == 0)
        s->is_dirty = 0;
    return rc;
}

static int parse_line(char *line, struct link *l)
{
    char *field[9];
    char *save = NULL, *p = line;
    line[strcspn(line, "\n")] = '\0';
    for (int i = 0; i < 9; i++) {
        /* The label (last) may be empty: take the rest of the line. */
        field[i] = i < 8 ? strtok_r(p, "\t", &save) : (save != NULL ? save : "");
        p = NULL;
        if (field[i] == NULL)
            return -1;
    }
    memset(l, 0, sizeof(*l));
    if (token_hash_parse(field[0], l->token_hash) < 0)
        return -1;
    struct share_info *in = &l->info;
    long long t[4];
    unsigned uses;
    for (int i = 0; i < 4; i++) {
        char *end = NULL;
        t[i] = strtoll(field[1 + i], &end, 10);
        if (end == field[1 + i] || *end != '\0')
            return -1;
    }
    if (sscanf(field[5], "%u", &uses) != 1 || !cameras_ok(field[6]) || !label_ok(field[8]) ||
        strlen(field[7]) >= sizeof(in->creator))
        return -1;
    in->created_s = t[0];
    in->expires_s = t[1];
    in->last_used_s = t[2];
    in->revoked_s = t[3];
    in->uses = uses;
    snprintf(in->cameras, sizeof(in->cameras), "%s", field[6]);
    snprintf(in->creator, sizeof(in->creator), "%s", field[7]);
    snprintf(in->label, sizeof(in->label), "%s", field[8]);
    l->is_used = 1;
    make_id(l);
    return 0;
}

int shares_load(struct shares *s, const char *path, unsigned *bad)
{
    *bad = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return errno == ENOENT ? 0 : -errno;
    char line[1024];
    int loaded = 0;
    size_t slot = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        struct link l;
        if (slot >= SHARE_MAX || parse_line(line, &l) < 0) {
            (*bad)++;
            continue;
        }
        s->list[slot++] = l;
        loaded++;
    }
    fclose(f);
    return loaded;
}

int share_parse_expiry(const char *text, int64_t now_s, int64_t *expires_s)
{
    if (text == NULL)
        return -EINVAL;
    if (strcmp(text, "1h") == 0) {
        *expires_s = now_s + 3600;
    } else if (strcmp(text, "week") == 0) {
        *expires_s = now_s + 7 * 24 * 3600;
    } else if (strcmp(text, "tonight") == 0) {
        /* Until 06:00 local time: tomorrow's, or today's if it is not 06:00 yet. */
        time_t now = (time_t)now_s;
        struct tm tm;
        localtime_r(&now, &tm);
        int is_early = tm.tm_hour < 6;
        tm.tm_hour = 6;
        tm.tm_min = 0;
        tm.tm_sec = 0;
        tm.tm_isdst = -1;
        if (!is_early)
            tm.tm_mday++;
        *expires_s = (int64_t)mktime(&tm);
    } else if (text[0] != '\0' && strlen(text) <= 12 &&
               strspn(text, "0123456789") == strlen(text)) {
        *expires_s = strtoll(text, NULL, 10);
    } else {
        return -EINVAL;
    }
    return 0;
}

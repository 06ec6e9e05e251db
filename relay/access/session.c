#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "token.h"

struct session {
    unsigned char token_hash[TOKEN_HASH_BYTES];
    int is_used;
    struct session_info info; /* info.created_us, info.last_used_us: the times */
};

struct sessions {
    int64_t idle_us;
    int64_t absolute_us;
    int is_dirty;
    struct session list[SESSION_MAX];
};

struct sessions *sessions_new(uint32_t idle_ms, uint32_t absolute_ms)
{
    struct sessions *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->idle_us = (int64_t)idle_ms * 1000;
    s->absolute_us = (int64_t)absolute_ms * 1000;
    return s;
}

void sessions_free(struct sessions *s)
{
    if (s != NULL)
        explicit_bzero(s, sizeof(*s));
    free(s);
}

/* The public id: hex of SHA-256 of the token's hash (says nothing about the token). */
static void make_id(struct session *e)
{
    token_public_id(e->token_hash, e->info.id, SESSION_ID_CHARS);
}

static int is_expired(const struct sessions *s, const struct session *e, int64_t now_us)
{
    return now_us - e->info.last_used_us > s->idle_us ||
           now_us - e->info.created_us > s->absolute_us;
}

/*
 * A user at SESSION_MAX_PER_USER live sessions gives up its least recently used one: logging in
 * over and over with one account must not push everyone else's sessions out of the table. A
 * guest link counts as its own user (each link's guests share its cap).
 * Returns that session, or NULL if the user is under the cap.
 */
static struct session *user_oldest_over_cap(struct sessions *s, const char *user, const char *share,
                                            int64_t now_us)
{
    struct session *oldest = NULL;
    unsigned live = 0;
    for (size_t i = 0; i < SESSION_MAX; i++) {
        struct session *e = &s->list[i];
        if (!e->is_used || is_expired(s, e, now_us) || strcmp(e->info.user, user) != 0 ||
            strcmp(e->info.share, share) != 0)
            continue;
        live++;
        if (oldest == NULL || e->info.last_used_us < oldest->info.last_used_us)
            oldest = e;
    }
    return live >= SESSION_MAX_PER_USER ? oldest : NULL;
}

/* The user's oldest over its cap, else a free or expired slot, else the least recently used. */
static struct session *free_slot(struct sessions *s, const char *user, const char *share,
                                 int64_t now_us)
{
    struct session *slot = user_oldest_over_cap(s, user, share, now_us);
    if (slot != NULL)
        return slot;
    slot = &s->list[0];
    for (size_t i = 0; i < SESSION_MAX; i++) {
        struct session *e = &s->list[i];
        if (!e->is_used || is_expired(s, e, now_us))
            return e;
        if (e->info.last_used_us < slot->info.last_used_us)
            slot = e;
    }
    return slot;
}

int sessions_create_from(struct sessions *s, const char *user, enum user_role role,
                         const char *share, const char *address, int64_t now_us,
                         char token_out[SESSION_TOKEN_CHARS + 1], char id_out[SESSION_ID_CHARS + 1])
{
    if (token_new(token_out) < 0)
        return -EIO;

    struct session *slot = free_slot(s, user, share != NULL ? share : "", now_us);
    memset(slot, 0, sizeof(*slot));
    if (token_hash(token_out, slot->token_hash) < 0)
        return -EIO;
    slot->is_used = 1;
    slot->info.created_us = now_us;
    slot->info.last_used_us = now_us;
    snprintf(slot->info.user, sizeof(slot->info.user), "%s", user);
    slot->info.role = role;
    snprintf(slot->info.share, sizeof(slot->info.share), "%s", share != NULL ? share : "");
    snprintf(slot->info.address, sizeof(slot->info.address), "%s", address != NULL ? address : "");
    make_id(slot);
    if (id_out != NULL)
        memcpy(id_out, slot->info.id, SESSION_ID_CHARS + 1);
    s->is_dirty = 1;
    return 0;
}

int sessions_create(struct sessions *s, const char *user, enum user_role role, int64_t now_us,
                    char token_out[SESSION_TOKEN_CHARS + 1])
{
    return sessions_create_from(s, user, role, "", "", now_us, token_out, NULL);
}

static struct session *find(struct sessions *s, const char *token)
{
    unsigned char h[TOKEN_HASH_BYTES];
    if (token_hash(token, h) < 0)
        return NULL;
    for (size_t i = 0; i < SESSION_MAX; i++) {
        struct session *e = &s->list[i];
        if (e->is_used && token_hash_equal(e->token_hash, h))
            return e;
    }
    return NULL;
}

static void clear(struct sessions *s, struct session *e)
{
    memset(e, 0, sizeof(*e));
    s->is_dirty = 1;
}

int sessions_lookup(struct sessions *s, const char *token, int64_t now_us, struct session_info *out)
{
    struct session *e = find(s, token);
    if (e == NULL)
        return -ENOENT;
    if (is_expired(s, e, now_us)) {
        clear(s, e);
        return -ENOENT;
    }
    e->info.last_used_us = now_us;
    *out = e->info;
    return 0;
}

int sessions_peek(struct sessions *s, const char *token, struct session_info *out)
{
    struct session *e = find(s, token);
    if (e == NULL)
        return -ENOENT;
    *out = e->info;
    return 0;
}

void sessions_end(struct sessions *s, const char *token)
{
    struct session *e = find(s, token);
    if (e != NULL)
        clear(s, e);
}

unsigned sessions_end_where(struct sessions *s, const char *user, const char *share,
                            const char *keep_id, const char *only_id)
{
    unsigned n = 0;
    for (size_t i = 0; i < SESSION_MAX; i++) {
        struct session *e = &s->list[i];
        if (!e->is_used || (user != NULL && strcmp(e->info.user, user) != 0) ||
            (share != NULL && strcmp(e->info.share, share) != 0) ||
            (keep_id != NULL && strcmp(e->info.id, keep_id) == 0) ||
            (only_id != NULL && strcmp(e->info.id, only_id) != 0))
            continue;
        clear(s, e);
        n++;
    }
    return n;
}

unsigned sessions_set_role(struct sessions *s, const char *user, enum user_role role)
{
    unsigned n = 0;
    for (size_t i = 0; i < SESSION_MAX; i++) {
        struct session *e = &s->list[i];
        if (e->is_used && e->info.share[0] == '\0' && strcmp(e->info.user, user) == 0 &&
            e->info.role != role) {
            e->info.role = role;
            s->is_dirty = 1;
            n++;
        }
    }
    return n;
}

int sessions_get(const struct sessions *s, size_t i, int64_t now_us, struct session_info *out)
{
    if (i >= SESSION_MAX || !s->list[i].is_used || is_expired(s, &s->list[i], now_us))
        return -ENOENT;
    *out = s->list[i].info;
    return 0;
}

int sessions_is_dirty(const struct sessions *s)
{
    return s->is_dirty;
}

/* One line: hash, role, link, created, last used (wall-clock s), address, user; TAB-separated
 * (none of them holds a TAB: names and addresses have no control characters). */
static void write_line(FILE *f, const struct session *e, int64_t now_us, int64_t now_real_s)
{
    char hex[2 * TOKEN_HASH_BYTES + 1];
    token_hash_hex(e->token_hash, hex);
    fprintf(f, "%s\t%s\t%s\t%lld\t%lld\t%s\t%s\n", hex, users_role_name(e->info.role),
            e->info.share[0] ? e->info.share : "-",
            (long long)(now_real_s - (now_us - e->info.created_us) / 1000000),
            (long long)(now_real_s - (now_us - e->info.last_used_us) / 1000000),
            e->info.address[0] ? e->info.address : "-", e->info.user);
}

struct save_args {
    const struct sessions *s;
    int64_t now_us, now_real_s;
};

static int write_table(FILE *f, const void *arg)
{
    const struct save_args *a = arg;
    fprintf(f, "# lookout sessions 1: sha256(token) role link created last_used address user\n");
    for (size_t i = 0; i < SESSION_MAX; i++) {
        const struct session *e = &a->s->list[i];
        if (e->is_used && !is_expired(a->s, e, a->now_us))
            write_line(f, e, a->now_us, a->now_real_s);
    }
    return ferror(f) ? -EIO : 0;
}

int sessions_save(struct sessions *s, const char *path, int64_t now_us, int64_t now_real_s)
{
    struct save_args a = {s, now_us, now_real_s};
    int rc = atomic_file_write(path, write_table, &a);
    if (rc == 0)
        s->is_dirty = 0;
    return rc;
}

/* Parse one saved line into e (times turned back into this run's monotonic clock). */
static int parse_line(char *line, struct session *e, int64_t now_us, int64_t now_real_s)
{
    char *field[7];
    char *save = NULL, *p = line;
    for (int i = 0; i < 7; i++) {
        field[i] = i < 6 ? strtok_r(p, "\t", &save) : strtok_r(p, "\n", &save);
        p = NULL;
        if (field[i] == NULL)
            return -1;
    }
    memset(e, 0, sizeof(*e));
    enum user_role role = users_role_parse(field[1]);
    char *end1 = NULL, *end2 = NULL;
    long long created = strtoll(field[3], &end1, 10), last = strtoll(field[4], &end2, 10);
    if (strlen(field[0]) != 64 || token_hash_parse(field[0], e->token_hash) < 0 ||
        role == ROLE_NONE || *end1 != '\0' || *end2 != '\0' ||
        strlen(field[2]) > SESSION_SHARE_CHARS || strlen(field[5]) >= SESSION_ADDRESS_MAX ||
        strlen(field[6]) >= USER_NAME_MAX)
        return -1;
    e->is_used = 1;
    e->info.role = role;
    snprintf(e->info.share, sizeof(e->info.share), "%s", strcmp(field[2], "-") ? field[2] : "");
    snprintf(e->info.address, sizeof(e->info.address), "%s", strcmp(field[5], "-") ? field[5] : "");
    snprintf(e->info.user, sizeof(e->info.user), "%s", field[6]);
    e->info.created_us = now_us - (now_real_s - created) * 1000000;
    e->info.last_used_us = now_us - (now_real_s - last) * 1000000;
    make_id(e);
    return 0;
}

int sessions_load(struct sessions *s, const char *path, int64_t now_us, int64_t now_real_s,
                  unsigned *bad)
{
    *bad = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return errno == ENOENT ? 0 : -errno;
    char line[512];
    int loaded = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        struct session e;
        if (parse_line(line, &e, now_us, now_real_s) < 0) {
            (*bad)++;
            continue;
        }
        if (is_expired(s, &e, now_us))
            continue;
        struct session *slot = free_slot(s, e.info.user, e.info.share, now_us);
        *slot = e;
        loaded++;
    }
    explicit_bzero(line, sizeof(line));
    fclose(f);
    return loaded;
}

int session_cookie_value(const char *header, const char *name, char *out, size_t out_size)
{
    size_t name_len = strlen(name);
    const char *p = header;
    while (p != NULL && *p != '\0') {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > name_len && strncmp(p, name, name_len) == 0 && p[name_len] == '=') {
            const char *v = p + name_len + 1;
            size_t vlen = len - name_len - 1;
            /* Blanks before the ';' first, then the quotes RFC 6265 §4.1.1 allows around the
             * value: the other order left "\"tok\" " quoted. */
            while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
                v++;
                vlen -= 2;
            }
            if (vlen + 1 > out_size)
                return -ENOSPC;
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return 0;
        }
        p = end ? end + 1 : NULL;
    }
    return -ENOENT;
}

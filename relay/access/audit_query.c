/*
 * audit_query: the admin's view of the audit log (GET /api/audit). Reads FILE.1 then FILE, keeps
 * the newest lines that match in a ring of `limit`, and answers them newest first. The lines are
 * the relay's own JSON objects; a line that does not start as audit_record writes them (edited by
 * hand, cut short by a crash) is skipped, so what goes out is always well-formed JSON.
 */
#include "audit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#define READ_MAX_BYTES (64u << 20)

struct span {
    const char *p;
    size_t len;
};

/* The whole file (up to READ_MAX_BYTES) in a new buffer, *len its size; NULL if absent/empty. */
static char *slurp(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size > 0 && (unsigned long)size <= READ_MAX_BYTES && fseek(f, 0, SEEK_SET) == 0 &&
            (buf = malloc((size_t)size)) != NULL)
            *len = fread(buf, 1, (size_t)size, f);
    }
    fclose(f);
    return buf;
}

/* The escaped value of "key":"..." at p (which must point at the opening quote of the key). */
static int string_field(const char **p, const char *end, const char *key, struct span *out)
{
    size_t klen = strlen(key);
    const char *s = *p;
    if ((size_t)(end - s) < klen + 5 || s[0] != ',' || s[1] != '"' ||
        memcmp(s + 2, key, klen) != 0 || memcmp(s + 2 + klen, "\":\"", 3) != 0)
        return -1;
    s += klen + 5;
    out->p = s;
    while (s < end && *s != '"')
        s += (*s == '\\') ? 2 : 1;
    if (s >= end)
        return -1;
    out->len = (size_t)(s - out->p);
    *p = s + 1;
    return 0;
}

static int span_is(const struct span *s, const char *escaped)
{
    return strlen(escaped) == s->len && memcmp(s->p, escaped, s->len) == 0;
}

/* Does the line [p, end) (no newline) look like ours and match the filter? */
static int line_matches(const char *p, const char *end, const struct audit_filter *f,
                        const char *user_esc, const char *action_esc)
{
    if (end - p < 8 || memcmp(p, "{\"t\":", 5) != 0 || end[-1] != '}')
        return 0;
    for (const char *c = p; c < end; c++) {
        if ((unsigned char)*c < 0x20)
            return 0;
    }
    char *after = NULL;
    long long t = strtoll(p + 5, &after, 10);
    const char *s = after;
    struct span ts, action, user;
    if (string_field(&s, end, "ts", &ts) < 0 || string_field(&s, end, "action", &action) < 0 ||
        string_field(&s, end, "user", &user) < 0)
        return 0;
    if (t < f->since_s)
        return 0;
    if (action_esc[0] != '\0' && !span_is(&action, action_esc))
        return 0;
    return user_esc[0] == '\0' || span_is(&user, user_esc);
}

struct ring {
    struct span *lines;
    unsigned cap, count, next;
    int is_truncated;
};

static void scan(struct ring *r, const char *buf, size_t len, const struct audit_filter *f,
                 const char *user_esc, const char *action_esc)
{
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl != NULL ? nl : end;
        if (nl != NULL && line_matches(p, stop, f, user_esc, action_esc)) {
            if (r->count == r->cap)
                r->is_truncated = 1;
            else
                r->count++;
            r->lines[r->next] = (struct span){p, (size_t)(stop - p)};
            r->next = (r->next + 1) % r->cap;
        }
        p = stop + 1;
    }
}

int audit_query(struct audit *a, const struct audit_filter *f, struct evbuffer *out)
{
    unsigned cap = f->limit == 0 || f->limit > AUDIT_QUERY_MAX ? AUDIT_QUERY_MAX : f->limit;
    struct ring r = {.lines = calloc(cap, sizeof(struct span)), .cap = cap};
    char user_esc[256], action_esc[128], old_path[1100];
    audit_escape(f->user != NULL ? f->user : "", user_esc, sizeof(user_esc));
    audit_escape(f->action != NULL ? f->action : "", action_esc, sizeof(action_esc));
    snprintf(old_path, sizeof(old_path), "%s.1", audit_path(a));
    size_t old_len = 0, cur_len = 0;
    int is_on = audit_is_on(a);
    char *old = is_on ? slurp(old_path, &old_len) : NULL;
    char *cur = is_on ? slurp(audit_path(a), &cur_len) : NULL;
    if (r.lines == NULL) {
        free(old);
        free(cur);
        return -ENOMEM;
    }
    if (old != NULL)
        scan(&r, old, old_len, f, user_esc, action_esc);
    if (cur != NULL)
        scan(&r, cur, cur_len, f, user_esc, action_esc);
    int rc = evbuffer_add_printf(out, "{\"enabled\":%s,\"entries\":[", is_on ? "true" : "false");
    for (unsigned i = 0; rc >= 0 && i < r.count; i++) {
        const struct span *s = &r.lines[(r.next + r.cap - 1 - i) % r.cap];
        rc = evbuffer_add(out, i > 0 ? "," : "", i > 0 ? 1 : 0);
        if (rc >= 0)
            rc = evbuffer_add(out, s->p, s->len);
    }
    if (rc >= 0)
        rc = evbuffer_add_printf(out, "],\"truncated\":%s}\n", r.is_truncated ? "true" : "false");
    free(r.lines);
    free(old);
    free(cur);
    return rc < 0 ? -ENOMEM : 0;
}

int audit_parse_time(const char *text, int64_t *out_s)
{
    if (text == NULL || text[0] == '\0')
        return -EINVAL;
    if (strspn(text, "0123456789") == strlen(text)) {
        if (strlen(text) > 12)
            return -EINVAL;
        *out_s = strtoll(text, NULL, 10);
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *rest = strptime(text, "%Y-%m-%dT%H:%M", &tm);
    if (rest == NULL)
        return -EINVAL;
    if (*rest == ':') {
        rest = strptime(rest + 1, "%S", &tm);
        if (rest == NULL)
            return -EINVAL;
    }
    if (*rest == 'Z')
        rest++;
    if (*rest != '\0')
        return -EINVAL;
    *out_s = (int64_t)timegm(&tm);
    return 0;
}

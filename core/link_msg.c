#include "link_msg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A cursor over the message; every read checks p < end first. */
struct cur {
    const char *p;
    const char *end;
    const char *reason; /* the first problem found */
};

#define KEY_MAX 24 /* longer member names are not ours: skipped */

static int fail(struct cur *c, const char *reason)
{
    if (c->reason == NULL)
        c->reason = reason;
    return -1;
}

static void skip_ws(struct cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int expect(struct cur *c, char ch, const char *reason)
{
    skip_ws(c);
    if (c->p >= c->end || *c->p != ch)
        return fail(c, reason);
    c->p++;
    return 0;
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* One escape after the backslash (RFC 8259 §7); *out is the byte to keep ('?' beyond ASCII). */
static int parse_escape(struct cur *c, char *out)
{
    if (c->p >= c->end)
        return fail(c, "string not terminated");
    char e = *c->p++;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit = memchr(from, e, sizeof(from) - 1);
    if (hit != NULL) {
        *out = to[hit - from];
        return 0;
    }
    if (e != 'u' || c->end - c->p < 4)
        return fail(c, "bad escape in a string");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(*c->p++);
        if (h < 0)
            return fail(c, "bad \\u escape in a string");
        v = v * 16 + (unsigned)h;
    }
    *out = v < 0x80 ? (char)v : '?';
    return 0;
}

/*
 * A string at the cursor, decoded into out[0..size) (NUL-terminated, cut to fit; out may be
 * NULL to skip). Control characters are refused raw (RFC 8259) and stored as spaces when
 * escaped, so a peer's text cannot split a log line. Sets *is_cut when text was left out.
 */
static int parse_string(struct cur *c, char *out, size_t size, bool *is_cut)
{
    if (expect(c, '"', "expected a string") < 0)
        return -1;
    size_t n = 0;
    if (is_cut != NULL)
        *is_cut = false;
    for (;;) {
        if (c->p >= c->end)
            return fail(c, "string not terminated");
        char ch = *c->p++;
        if (ch == '"')
            break;
        if ((unsigned char)ch < 0x20)
            return fail(c, "control character in a string");
        if (ch == '\\' && parse_escape(c, &ch) < 0)
            return -1;
        if ((unsigned char)ch < 0x20)
            ch = ' ';
        if (out != NULL && n + 1 < size)
            out[n++] = ch;
        else if (is_cut != NULL)
            *is_cut = true;
    }
    if (out != NULL && size > 0)
        out[n] = '\0';
    return 0;
}

/*
 * A number at the cursor (RFC 8259 §6 grammar). *is_int is true if it has neither fraction nor
 * exponent and lies within +-LINK_MSG_INT_MAX; *value is then its value.
 */
static int parse_number(struct cur *c, long *value, bool *is_int)
{
    skip_ws(c);
    bool negative = false, fits = true;
    long v = 0;
    if (c->p < c->end && *c->p == '-') {
        negative = true;
        c->p++;
    }
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return fail(c, "expected a value");
    if (*c->p == '0' && c->p + 1 < c->end && c->p[1] >= '0' && c->p[1] <= '9')
        return fail(c, "number with a leading zero");
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (v > LINK_MSG_INT_MAX)
            fits = false;
        else
            v = v * 10 + (*c->p - '0');
        c->p++;
    }
    *is_int = fits && v <= LINK_MSG_INT_MAX;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return fail(c, "bad number");
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
        *is_int = false;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return fail(c, "bad number");
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
        *is_int = false;
    }
    *value = negative ? -v : v;
    return 0;
}

static int parse_literal(struct cur *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return fail(c, "expected a value");
    c->p += n;
    return 0;
}

static int skip_value(struct cur *c, int depth);

/* The members of an object or the elements of an array, after its opening bracket. */
static int skip_container(struct cur *c, char close, int depth)
{
    if (depth > LINK_MSG_MAX_DEPTH)
        return fail(c, "nested too deep");
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return 0;
    }
    for (;;) {
        if (close == '}' &&
            (parse_string(c, NULL, 0, NULL) < 0 || expect(c, ':', "expected ':'") < 0))
            return -1;
        if (skip_value(c, depth) < 0)
            return -1;
        skip_ws(c);
        if (c->p >= c->end)
            return fail(c, "message cut short");
        char ch = *c->p++;
        if (ch == close)
            return 0;
        if (ch != ',')
            return fail(c, "expected ',' or a closing bracket");
    }
}

static int skip_value(struct cur *c, int depth)
{
    skip_ws(c);
    if (c->p >= c->end)
        return fail(c, "expected a value");
    long v;
    bool is_int;
    switch (*c->p) {
    case '"':
        return parse_string(c, NULL, 0, NULL);
    case '{':
        c->p++;
        return skip_container(c, '}', depth + 1);
    case '[':
        c->p++;
        return skip_container(c, ']', depth + 1);
    case 't':
        return parse_literal(c, "true");
    case 'f':
        return parse_literal(c, "false");
    case 'n':
        return parse_literal(c, "null");
    default:
        return parse_number(c, &v, &is_int);
    }
}

static int parse_int(struct cur *c, int *out, const char *reason)
{
    long v;
    bool is_int;
    if (parse_number(c, &v, &is_int) < 0)
        return -1;
    if (!is_int)
        return fail(c, reason);
    *out = (int)v;
    return 0;
}

/* "[lo,hi]" */
static int parse_pair(struct cur *c, int out[2])
{
    if (expect(c, '[', "\"limits\": expected [min,max]") < 0 ||
        parse_int(c, &out[0], "\"limits\": not an integer") < 0 ||
        expect(c, ',', "\"limits\": expected [min,max]") < 0 ||
        parse_int(c, &out[1], "\"limits\": not an integer") < 0 ||
        expect(c, ']', "\"limits\": expected [min,max]") < 0)
        return -1;
    return 0;
}

/* {"pan":[lo,hi],"tilt":[lo,hi]}; both axes required, other members skipped. */
static int parse_limits(struct cur *c, struct link_msg *m)
{
    bool has_pan = false, has_tilt = false;
    if (expect(c, '{', "\"limits\": not an object") < 0)
        return -1;
    skip_ws(c);
    if (c->p < c->end && *c->p == '}')
        return fail(c, "\"limits\": needs pan and tilt");
    for (;;) {
        char key[KEY_MAX];
        bool is_cut;
        if (parse_string(c, key, sizeof(key), &is_cut) < 0 || expect(c, ':', "expected ':'") < 0)
            return -1;
        int rc;
        if (!is_cut && strcmp(key, "pan") == 0) {
            rc = parse_pair(c, &m->limits[0]);
            has_pan = true;
        } else if (!is_cut && strcmp(key, "tilt") == 0) {
            rc = parse_pair(c, &m->limits[2]);
            has_tilt = true;
        } else {
            rc = skip_value(c, 2);
        }
        if (rc < 0)
            return -1;
        skip_ws(c);
        if (c->p >= c->end)
            return fail(c, "message cut short");
        char ch = *c->p++;
        if (ch == '}')
            break;
        if (ch != ',')
            return fail(c, "expected ',' or '}'");
    }
    if (!has_pan || !has_tilt)
        return fail(c, "\"limits\": needs pan and tilt");
    m->has_limits = true;
    return 0;
}

static enum link_msg_type type_of(const char *name)
{
    static const struct {
        const char *name;
        enum link_msg_type type;
    } types[] = {{"status", LINK_MSG_STATUS},
                 {"moved", LINK_MSG_MOVED},
                 {"move", LINK_MSG_MOVE},
                 {"stream", LINK_MSG_STREAM}};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(types[i].name, name) == 0)
            return types[i].type;
    }
    return LINK_MSG_OTHER;
}

/* The integer members: name, where to store, where its flag is, the error if not an integer. */
struct int_member {
    const char *name;
    size_t value_offset;
    size_t flag_offset;
    const char *reason;
};

#define INT_MEMBER(field, flag)                                                                    \
    {                                                                                              \
#field, offsetof(struct link_msg, field), offsetof(struct link_msg, flag),                 \
            "\"" #field "\": not an integer in range"                                              \
    }

static const struct int_member int_members[] = {
    INT_MEMBER(status, has_status),
    INT_MEMBER(tr, has_tr),
    INT_MEMBER(el, has_el),
    INT_MEMBER(pan, has_pan),
    INT_MEMBER(tilt, has_tilt),
    INT_MEMBER(target_pan, has_target_pan),
    INT_MEMBER(target_tilt, has_target_tilt),
};

/* "id": an unsigned 32-bit integer. */
static int parse_id(struct cur *c, struct link_msg *m)
{
    skip_ws(c);
    const char *start = c->p;
    uint64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && v <= UINT32_MAX)
        v = v * 10 + (uint64_t)(*c->p++ - '0');
    bool is_bad = c->p == start || v > UINT32_MAX || (*start == '0' && c->p - start > 1) ||
                  (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'));
    if (is_bad)
        return fail(c, "\"id\": not an integer 0..4294967295");
    m->id = (uint32_t)v;
    m->has_id = true;
    return 0;
}

static int parse_bool(struct cur *c, bool *out, const char *reason)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == 't' && parse_literal(c, "true") == 0) {
        *out = true;
        return 0;
    }
    if (c->p < c->end && *c->p == 'f' && parse_literal(c, "false") == 0) {
        *out = false;
        return 0;
    }
    c->reason = NULL; /* parse_literal's generic reason gives way to this member's */
    return fail(c, reason);
}

/* One member "key": value of the message's own object. */
static int parse_member(struct cur *c, struct link_msg *m, bool *has_type)
{
    char key[KEY_MAX];
    bool is_cut;
    if (parse_string(c, key, sizeof(key), &is_cut) < 0 || expect(c, ':', "expected ':'") < 0)
        return -1;
    if (is_cut)
        return skip_value(c, 1);
    if (strcmp(key, "type") == 0) {
        char name[16];
        skip_ws(c);
        if (c->p >= c->end || *c->p != '"')
            return fail(c, "\"type\": not a string");
        if (parse_string(c, name, sizeof(name), &is_cut) < 0)
            return -1;
        m->type = is_cut ? LINK_MSG_OTHER : type_of(name);
        *has_type = true;
        return 0;
    }
    if (strcmp(key, "id") == 0)
        return parse_id(c, m);
    for (size_t i = 0; i < sizeof(int_members) / sizeof(int_members[0]); i++) {
        const struct int_member *im = &int_members[i];
        if (strcmp(key, im->name) == 0) {
            if (parse_int(c, (int *)((char *)m + im->value_offset), im->reason) < 0)
                return -1;
            *(bool *)((char *)m + im->flag_offset) = true;
            return 0;
        }
    }
    if (strcmp(key, "limits") == 0)
        return parse_limits(c, m);
    if (strcmp(key, "on") == 0) {
        m->has_on = true;
        return parse_bool(c, &m->on, "\"on\": not true or false");
    }
    if (strcmp(key, "error") == 0) {
        skip_ws(c);
        if (c->p >= c->end || *c->p != '"')
            return fail(c, "\"error\": not a string");
        m->has_error = true;
        return parse_string(c, m->error, sizeof(m->error), NULL);
    }
    return skip_value(c, 1);
}

int link_msg_parse(const char *text, size_t len, struct link_msg *out, const char **reason)
{
    memset(out, 0, sizeof(*out));
    if (len > LINK_MSG_MAX_BYTES) {
        *reason = "control message too long";
        return -EMSGSIZE;
    }
    struct cur c = {.p = text, .end = text + len, .reason = NULL};
    bool has_type = false;
    if (expect(&c, '{', "not a JSON object") < 0)
        goto bad;
    skip_ws(&c);
    if (c.p < c.end && *c.p == '}') {
        c.p++;
    } else {
        for (;;) {
            if (parse_member(&c, out, &has_type) < 0)
                goto bad;
            skip_ws(&c);
            if (c.p >= c.end) {
                fail(&c, "message cut short");
                goto bad;
            }
            char ch = *c.p++;
            if (ch == '}')
                break;
            if (ch != ',') {
                fail(&c, "expected ',' or '}'");
                goto bad;
            }
        }
    }
    skip_ws(&c);
    if (c.p != c.end) {
        fail(&c, "text after the object");
        goto bad;
    }
    if (!has_type) {
        fail(&c, "no \"type\" member");
        goto bad;
    }
    return 0;
bad:
    *reason = c.reason;
    return -EPROTO;
}

static int finish(int n, size_t size)
{
    return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

int link_msg_write_move_by(char *out, size_t size, uint32_t id, int tr_deg, int el_deg)
{
    return finish(snprintf(out, size, "{\"type\":\"move\",\"id\":%lu,\"tr\":%d,\"el\":%d}",
                           (unsigned long)id, tr_deg, el_deg),
                  size);
}

int link_msg_write_move_to(char *out, size_t size, uint32_t id, int pan_deg, int tilt_deg)
{
    return finish(snprintf(out, size, "{\"type\":\"move\",\"id\":%lu,\"pan\":%d,\"tilt\":%d}",
                           (unsigned long)id, pan_deg, tilt_deg),
                  size);
}

int link_msg_write_stream(char *out, size_t size, bool on)
{
    return finish(snprintf(out, size, "{\"type\":\"stream\",\"on\":%s}", on ? "true" : "false"),
                  size);
}

int link_msg_write_error(char *out, size_t size, uint32_t id, int status, const char *text)
{
    int n = snprintf(out, size, "{\"type\":\"moved\",\"id\":%lu,\"status\":%d,\"error\":\"",
                     (unsigned long)id, status);
    if (n < 0 || (size_t)n >= size)
        return -ENOSPC;
    size_t pos = (size_t)n;
    /* Escape quotes and backslashes; control characters become spaces; keep room for "\"}". */
    for (const char *s = text; *s != '\0' && pos + 5 < size; s++) {
        char ch = *s;
        if (ch == '\n' && s[1] == '\0')
            break; /* the node's 400 bodies end in a newline: not part of the reason */
        if (ch == '"' || ch == '\\')
            out[pos++] = '\\';
        out[pos++] = (unsigned char)ch < 0x20 ? ' ' : ch;
    }
    if (pos + 3 > size)
        return -ENOSPC;
    memcpy(out + pos, "\"}", 3);
    return (int)(pos + 2);
}

#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return p;
}

/* The first character of the value that follows "key":, or NULL. */
static const char *find_value(const char *json, const char *key)
{
    char quoted[256];
    int n = snprintf(quoted, sizeof(quoted), "\"%s\"", key);
    if (n < 0 || (size_t)n >= sizeof(quoted))
        return NULL;
    for (const char *p = strstr(json, quoted); p != NULL; p = strstr(p + 1, quoted)) {
        const char *v = skip_space(p + n);
        /* A string value equal to the key ("x":"pan") is not followed by ':'. */
        if (*v == ':')
            return skip_space(v + 1);
    }
    return NULL;
}

int ts_json_number(const char *json, const char *key, double *out)
{
    const char *v = find_value(json, key);
    if (v == NULL)
        return -ENOENT;
    if (!(*v == '-' || (*v >= '0' && *v <= '9')))
        return -EPROTO;
    char *end;
    double d = strtod(v, &end);
    if (end == v)
        return -EPROTO;
    *out = d;
    return 0;
}

int ts_json_bool(const char *json, const char *key, int *out)
{
    const char *v = find_value(json, key);
    if (v == NULL)
        return -ENOENT;
    if (strncmp(v, "true", 4) == 0)
        *out = 1;
    else if (strncmp(v, "false", 5) == 0)
        *out = 0;
    else
        return -EPROTO;
    return 0;
}

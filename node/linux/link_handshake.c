#include "link_handshake.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A header's value in the 101's head, or NULL. */
static const char *find_header(const char *head, const char *name, char *out, size_t out_size)
{
    size_t n = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line != NULL; line = strstr(line, "\r\n")) {
        line += 2;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t len = strcspn(v, "\r\n");
            snprintf(out, out_size, "%.*s", (int)len, v);
            return out;
        }
    }
    return NULL;
}

/* Say why the relay refused, in words a user can act on. */
static void refused(int status, const char *status_line, char *why, size_t why_size)
{
    if (status == 401)
        snprintf(why, why_size,
                 "the relay refused the token (HTTP 401): check --token-file "
                 "against the relay's NODE_TOKEN");
    else if (status == 429)
        snprintf(why, why_size,
                 "the relay is throttling this address after wrong tokens "
                 "(HTTP 429)");
    else if (status == 404)
        snprintf(why, why_size,
                 "the relay has no node link here (HTTP 404): is NODE_TOKEN "
                 "set, and the URL the relay's?");
    else
        snprintf(why, why_size, "the relay answered %.120s", status_line);
}

int link_handshake_check(const char *head, const char *expected_accept, char *why, size_t why_size)
{
    char status_line[128];
    snprintf(status_line, sizeof(status_line), "%.*s", (int)strcspn(head, "\r\n"), head);
    int status = 0;
    if (sscanf(head, "HTTP/1.%*1[01] %3d", &status) != 1) {
        snprintf(why, why_size, "the relay did not answer HTTP");
        return -1;
    }
    if (status != 101) {
        refused(status, status_line, why, why_size);
        return -1;
    }
    char got[64];
    if (expected_accept == NULL ||
        find_header(head, "Sec-WebSocket-Accept", got, sizeof(got)) == NULL ||
        strcmp(expected_accept, got) != 0) {
        snprintf(why, why_size, "the relay's 101 has a wrong Sec-WebSocket-Accept");
        return -1;
    }
    return 0;
}

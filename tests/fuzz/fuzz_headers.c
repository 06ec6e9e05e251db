/* libFuzzer target for the relay's header parsers: the Cookie header (session_cookie_value)
 * and Basic credentials (auth_parse_basic). Outputs must be NUL-terminated within their
 * buffers; a parsed user never contains the ':' that separates it from the password. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = malloc(size + 1);
    if (header == NULL)
        return 0;
    memcpy(header, data, size);
    header[size] = '\0';

    char value[SESSION_TOKEN_CHARS + 1];
    if (session_cookie_value(header, SESSION_COOKIE, value, sizeof(value)) == 0 &&
        strlen(value) > SESSION_TOKEN_CHARS)
        abort();

    char user[64], password[256];
    if (auth_parse_basic(header, user, sizeof(user), password, sizeof(password)) == 0 &&
        (strchr(user, ':') != NULL || strlen(user) >= sizeof(user) ||
         strlen(password) >= sizeof(password)))
        abort();
    free(header);
    return 0;
}

#include "basic_auth.h"

#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "http_glue.h"

#define LOG_TAG "auth"
#include "log.h"

#define CREDENTIALS_MAX 512

struct basic_auth {
    unsigned char digest[SHA256_DIGEST_LENGTH]; /* of the whole header value "Basic ..." */
};

struct basic_auth *basic_auth_new(const char *user_password)
{
    size_t n = strlen(user_password);
    if (strchr(user_password, ':') == NULL || n > CREDENTIALS_MAX)
        return NULL;
    struct basic_auth *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    char header[6 + 4 * (CREDENTIALS_MAX / 3 + 1) + 1];
    memcpy(header, "Basic ", 6);
    int len =
        EVP_EncodeBlock((unsigned char *)header + 6, (const unsigned char *)user_password, (int)n);
    SHA256((const unsigned char *)header, 6 + (size_t)len, a->digest);
    OPENSSL_cleanse(header, sizeof(header));
    return a;
}

void basic_auth_free(struct basic_auth *a)
{
    if (a != NULL)
        OPENSSL_cleanse(a, sizeof(*a));
    free(a);
}

int basic_auth_admit(const struct basic_auth *a, struct evhttp_request *req)
{
    if (a == NULL)
        return 1;
    const char *got = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (got != NULL) {
        unsigned char digest[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)got, strlen(got), digest);
        if (CRYPTO_memcmp(digest, a->digest, sizeof(digest)) == 0)
            return 1;
    }
    char *addr = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(evhttp_request_get_connection(req), &addr, &port);
    LOG_WARN("request from %s with %s credentials: answered 401", addr ? addr : "?",
             got ? "wrong" : "no");
    evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                      "Basic realm=\"lookout-cam\", charset=\"UTF-8\"");
    static const char text[] = "this camera needs a user and password (HTTP Basic)\n";
    http_glue_send(req, 401, "text/plain; charset=utf-8", text, sizeof(text) - 1);
    return 0;
}

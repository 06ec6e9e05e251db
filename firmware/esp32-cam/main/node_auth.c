#include "node_auth.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "esp_log.h"
#include "sdkconfig.h"

static const char *TAG = "node_auth";

#ifdef CONFIG_LOOKOUT_NODE_AUTH

#define CREDENTIALS_MAX 128
/* "Basic " + base64 of user:password + NUL */
#define HEADER_MAX (6 + 4 * ((2 * CREDENTIALS_MAX + 1 + 2) / 3) + 1)

/* RFC 4648 §4 base64 of src[0..len) into out (NUL-terminated; out holds 4 * ceil(len/3) + 1). */
static void base64(const uint8_t *src, size_t len, char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)src[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)src[i + 1] << 8;
        if (i + 2 < len)
            v |= src[i + 2];
        out[o++] = abc[(v >> 18) & 63];
        out[o++] = abc[(v >> 12) & 63];
        out[o++] = i + 1 < len ? abc[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? abc[v & 63] : '=';
    }
    out[o] = '\0';
}

/* The header a client must send, built from menuconfig (once per request: cheap). */
static void expected_header(char *out)
{
    char plain[2 * CREDENTIALS_MAX + 2];
    size_t n = strlen(CONFIG_LOOKOUT_NODE_USER) + 1 + strlen(CONFIG_LOOKOUT_NODE_PASSWORD);
    if (n >= sizeof(plain))
        n = sizeof(plain) - 1;
    snprintf(plain, sizeof(plain), "%s:%s", CONFIG_LOOKOUT_NODE_USER, CONFIG_LOOKOUT_NODE_PASSWORD);
    memcpy(out, "Basic ", 6);
    base64((const uint8_t *)plain, n, out + 6);
    memset(plain, 0, sizeof(plain));
}

/* Same length and same bytes, looking at every byte of the expected value. */
static bool same(const char *got, size_t got_len, const char *want)
{
    size_t want_len = strlen(want);
    unsigned diff = got_len != want_len;
    for (size_t i = 0; i < want_len; i++)
        diff |= (unsigned)(uint8_t)want[i] ^ (i < got_len ? (uint8_t)got[i] : 0u);
    return diff == 0;
}

bool node_auth_admit(httpd_req_t *req, esp_err_t *err)
{
    char want[HEADER_MAX];
    char got[HEADER_MAX + 8];
    expected_header(want);
    size_t got_len = httpd_req_get_hdr_value_len(req, "Authorization");
    bool is_ok = got_len > 0 && got_len < sizeof(got) &&
                 httpd_req_get_hdr_value_str(req, "Authorization", got, sizeof(got)) == ESP_OK &&
                 same(got, got_len, want);
    memset(want, 0, sizeof(want));
    memset(got, 0, sizeof(got));
    if (is_ok)
        return true;
    ESP_LOGW(TAG, "%s credentials: answered 401", got_len > 0 ? "wrong" : "no");
    *err = httpd_resp_set_status(req, "401 Unauthorized");
    if (*err == ESP_OK)
        *err = httpd_resp_set_type(req, "text/plain; charset=utf-8");
    if (*err == ESP_OK)
        *err = httpd_resp_set_hdr(req, "WWW-Authenticate",
                                  "Basic realm=\"lookout-cam\", charset=\"UTF-8\"");
    if (*err == ESP_OK)
        *err = httpd_resp_send(req, "this camera needs a user and password (HTTP Basic)\n",
                               HTTPD_RESP_USE_STRLEN);
    return false;
}

#else

bool node_auth_admit(httpd_req_t *req, esp_err_t *err)
{
    (void)req;
    (void)err;
    (void)TAG;
    return true;
}

#endif

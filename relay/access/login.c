/*
 * The login page's routes: GET /login shows the form (web/login.html), POST /login checks it and
 * starts a session, POST /logout ends it. The cookie is HttpOnly (no script reads it),
 * SameSite=Strict (no other site's page sends it), and Secure when the relay speaks HTTPS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "clock.h"
#include "auth.h"
#include "cfg.h"
#include "guard.h"
#include "relay.h"
#include "reply.h"
#include "routes.h"
#include "web_assets.h"

static void see_other(struct evhttp_request *req, const char *location)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Location", location);
    reply_text(req, 303, location);
}

static void set_cookie(struct evhttp_request *req, const struct relay *relay, const char *token,
                       unsigned max_age_s)
{
    /* Secure over the relay's own TLS, and behind nginx's (X-Forwarded-Proto from a proxy in
     * TRUSTED_PROXIES): a Secure cookie is never sent back over plain HTTP. */
    int is_https =
        strcmp(guard_request_scheme(req, relay->is_tls, relay->cfg->trusted_proxies), "https") == 0;
    char cookie[256];
    snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%u; HttpOnly; SameSite=Strict%s",
             SESSION_COOKIE, token, max_age_s, is_https ? "; Secure" : "");
    evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", cookie);
}

void login_page(struct evhttp_request *req, const struct route_ctx *ctx)
{
    (void)ctx;
    const struct web_asset *page = web_asset_find("/login.html");
    if (page == NULL)
        reply_text(req, 500, "login page missing from this build");
    else
        route_serve_asset(req, page);
}

/* Copy the form body (bounded by the server's body limit) into a NUL-terminated string. */
static int read_form(struct evhttp_request *req, char *out, size_t out_size)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len >= out_size)
        return -1;
    evbuffer_copyout(in, out, len);
    out[len] = '\0';
    /* The body holds the password: wipe the request's copy, which evhttp frees unwiped. */
    unsigned char *body = len > 0 ? evbuffer_pullup(in, -1) : NULL;
    if (body != NULL)
        explicit_bzero(body, len);
    return 0;
}

/* A form login whose password is being checked off the loop (auth_login_async). */
struct pending_login {
    struct relay *relay;
    struct evhttp_request *req;
};

/* Answer the form: the session's cookie and the page, or back to the form saying why. */
static void finish(struct evhttp_request *req, struct relay *relay, const struct auth_outcome *o)
{
    if (o->result == AUTH_OK) {
        set_cookie(req, relay, o->token, relay->cfg->session_max_age_ms / 1000);
        see_other(req, "/");
    } else if (o->result == AUTH_THROTTLED) {
        char where[64];
        snprintf(where, sizeof(where), "/login?error=wait&s=%lld",
                 (long long)((o->retry_ms + 999) / 1000));
        see_other(req, where);
    } else {
        see_other(req, "/login?error=bad");
    }
}

static void on_login_checked(const struct auth_outcome *o, void *arg)
{
    struct pending_login *p = arg;
    finish(p->req, p->relay, o);
    free(p);
}

void login_submit(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct relay *relay = ctx->relay;
    char form[4096];
    struct evkeyvalq fields;
    TAILQ_INIT(&fields);
    if (read_form(req, form, sizeof(form)) < 0 || evhttp_parse_query_str(form, &fields) < 0) {
        explicit_bzero(form, sizeof(form));
        evhttp_clear_headers(&fields);
        reply_text(req, 400, "expected a form with user and password");
        return;
    }
    explicit_bzero(form, sizeof(form));
    const char *user = evhttp_find_header(&fields, "user");
    char *password = (char *)evhttp_find_header(&fields, "password");
    if (user == NULL || password == NULL) {
        evhttp_clear_headers(&fields);
        reply_text(req, 400, "expected a form with user and password");
        return;
    }
    char address[64];
    int64_t retry_ms = 0;
    struct pending_login *p = malloc(sizeof(*p));
    enum auth_result r = AUTH_THROTTLED;
    if (p != NULL) {
        p->relay = relay;
        p->req = req;
        r = auth_login_async(
            relay->auth, user, password,
            guard_client_address(req, relay->cfg->trusted_proxies, address, sizeof(address)),
            clock_now_us(), on_login_checked, p, &retry_ms);
    }
    explicit_bzero(password, strlen(password));
    evhttp_clear_headers(&fields);
    if (r == AUTH_PENDING)
        return; /* on_login_checked answers */
    struct auth_outcome o = {.result = r, .retry_ms = p != NULL ? retry_ms : 1000};
    free(p);
    finish(req, relay, &o);
}

void login_logout(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct relay *relay = ctx->relay;
    char address[64];
    auth_logout(relay->auth, evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie"),
                guard_client_address(req, relay->cfg->trusted_proxies, address, sizeof(address)));
    set_cookie(req, relay, "", 0);
    see_other(req, "/login");
}

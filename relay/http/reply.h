#pragma once
/*
 * reply: the relay's small HTTP answers, so every refusal looks the same: a status code and one
 * line of plain text saying why (never a stack trace, never an empty 500).
 */
struct evbuffer;
struct evhttp_request;

/* Reply `code` with `text` plus a newline as text/plain, Cache-Control: no-store. */
void reply_text(struct evhttp_request *req, int code, const char *text);

/* Reply `code` with body (borrowed; may be NULL on allocation failure) as application/json,
 * Cache-Control: no-store. */
void reply_json(struct evhttp_request *req, int code, struct evbuffer *body);

/*
 * Mark req's answer Cache-Control: no-store, replacing any Cache-Control set before: for every
 * answer that depends on who asks (RFC 9111 §5.2.2.5), so that neither a shared cache nor the
 * browser's shows it again after a logout or to someone else.
 */
void reply_no_store(struct evhttp_request *req);

/*
 * Append s (NUL-terminated) to out as a JSON string (RFC 8259 §7), whole, in quotes, each
 * character as common/json_escape.h escapes it: '"', '\\', control characters and DEL escaped,
 * valid UTF-8 kept, each invalid byte as \\ufffd (so the reply is valid JSON in UTF-8).
 */
void reply_json_string(struct evbuffer *out, const char *s);

#pragma once
/*
 * token_watch: node tokens kept in step with their NODE_TOKEN_FILE without a restart. Every
 * poll_ms the watch asks each camera of the set whether its token file changed on disk (a
 * stat(2): camera_recheck_token), as users_watch does for USERS_FILE; token_watch_reload re-reads
 * every token file now (SIGHUP). A rotated token works at once, the old one stops working, and
 * a node still linked with the old one is disconnected.
 */
struct cameras;
struct event_base;
struct token_watch;

/*
 * Watch the token files of `set` (borrowed, as is base; the set may change between ticks).
 * poll_ms 0: only on token_watch_reload. NULL on allocation failure.
 */
struct token_watch *token_watch_new(struct event_base *base, struct cameras *set, unsigned poll_ms);

/* Stop watching; token_watch_free(NULL) is a no-op. */
void token_watch_free(struct token_watch *w);

/* Re-read every camera's token file now. Returns how many cameras' tokens changed. */
unsigned token_watch_reload(struct token_watch *w);

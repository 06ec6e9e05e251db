#pragma once
/*
 * web_assets: the files of web/ compiled into the binary.
 *
 * The definitions are generated at build time by tools/embed (build/gen/web_assets.c) from the
 * files the Makefile finds in web/; nothing is read from disk at run time. This header is the
 * interface between that generated file and the relay's routes.
 *
 * The table is a plain value type: immutable, static storage, valid for the life of the process,
 * safe to read from any thread.
 */
#include <stddef.h>

struct web_asset {
    const char *path;         /* URL path, "/app.js"; index.html is "/index.html" (and see below) */
    const char *content_type; /* full header value, "text/javascript; charset=utf-8" */
    const unsigned char *data; /* the file's bytes, not NUL-terminated */
    size_t size;               /* in bytes */
};

/* Every embedded file, in the order tools/embed was given them; web_assets_count entries. */
extern const struct web_asset web_assets[];
extern const size_t web_assets_count;

/*
 * Find the asset served at `path`, an exact URL path without query string or fragment
 * ("/app.js"). "/" is served as "/index.html". Matching is case-sensitive and does no decoding:
 * the caller strips "?..." and rejects "%2e" tricks before asking.
 * Returns a pointer into the static table, or NULL if no asset has that path.
 */
const struct web_asset *web_asset_find(const char *path);

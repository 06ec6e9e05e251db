#pragma once
/*
 * routes: the relay's HTTP routes (docs/API.md lists them): the page and its assets, the
 * stream, the snapshot, pan/tilt, status. Basic auth guards all but /counter and the page's
 * static assets. Every refusal is a 4xx/5xx with a one-line plain-text reason.
 */
struct evhttp;
struct relay;

/* Route every request of `http` to the relay's handlers; relay is borrowed and must outlive it. */
void routes_install(struct evhttp *http, struct relay *relay);

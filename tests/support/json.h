#pragma once
/*
 * json: read single fields out of the small, flat JSON objects the relay and the node return.
 *
 * Not a JSON parser: it finds the first "key": in the text, at any depth, and reads the value
 * after it. Good enough for {"pan":95,"tilt":90}; use a real parser for anything nested.
 */

/* Read the number after "key": into *out. Returns 0, -ENOENT if absent, -EPROTO if not a number. */
int ts_json_number(const char *json, const char *key, double *out);

/* Read true/false after "key": into *out (1/0). Returns 0, -ENOENT, or -EPROTO. */
int ts_json_bool(const char *json, const char *key, int *out);

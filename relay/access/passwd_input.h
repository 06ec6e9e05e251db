#pragma once
/*
 * passwd_input: read a password for `lookout passwd`: from a terminal with echo off and a prompt
 * on stderr, otherwise one line of standard input (for scripts).
 */
#include <stddef.h>

/* Read into out (NUL-terminated, line end stripped), showing prompt on a terminal. Returns 0, or
 * -1 if nothing was read or the password is empty or longer than out_size - 1. */
int read_password(const char *prompt, char *out, size_t out_size);

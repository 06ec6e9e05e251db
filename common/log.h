#pragma once
/*
 * log: one line per event to stderr, four levels.
 *
 * Each .c file defines LOG_TAG ("hub", "upstream") before including this header; the macros
 * check the level before anything is formatted, so a disabled DEBUG line costs one compare.
 * Under systemd (JOURNAL_STREAM set) lines carry sd-daemon "<N>" priority prefixes so journald
 * keeps the level; on a terminal they carry a timestamp instead. Never log passwords, cookies,
 * or Authorization headers.
 */
#include <stdarg.h>

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* The process-wide level (the one mutable global besides the event loop, STYLE.md rule 10). */
extern enum log_level log_current_level;

/* Parse "error", "warn", "info" or "debug" into *out. Returns 0, or -EINVAL for anything else. */
int log_level_parse(const char *name, enum log_level *out);

/* Write one line: tag, level and the formatted message. Prefer the LOG_* macros. */
void log_write(enum log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_AT(lvl, ...)                                                                           \
    do {                                                                                           \
        if ((lvl) <= log_current_level)                                                            \
            log_write((lvl), LOG_TAG, __VA_ARGS__);                                                \
    } while (0)
#define LOG_ERROR(...) LOG_AT(LOG_LEVEL_ERROR, __VA_ARGS__)
#define LOG_WARN(...) LOG_AT(LOG_LEVEL_WARN, __VA_ARGS__)
#define LOG_INFO(...) LOG_AT(LOG_LEVEL_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) LOG_AT(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* log: one-line diagnostics to stderr, prefixed with "skiff: ".
 * Call once where the context is known; callers decide what to do. */
#ifndef SKIFF_UTIL_LOG_H
#define SKIFF_UTIL_LOG_H

#include <stdarg.h>

/* Print "skiff: <fmt>\n" to stderr. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print only when SKIFF_DEBUG is set in the environment. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

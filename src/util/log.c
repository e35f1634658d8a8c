#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("skiff: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!getenv("SKIFF_DEBUG"))
		return;
	va_start(ap, fmt);
	fputs("skiff[debug]: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

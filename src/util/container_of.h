/* container_of: from a pointer to a member back to the struct holding it,
 * the way event handlers and embedded device cores find their owner. */
#ifndef SKIFF_UTIL_CONTAINER_OF_H
#define SKIFF_UTIL_CONTAINER_OF_H

#include <stddef.h>

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

#endif

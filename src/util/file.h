/* file: map a whole input file (kernel, initrd) read-only. */
#ifndef SKIFF_UTIL_FILE_H
#define SKIFF_UTIL_FILE_H

#include <stddef.h>
#include <stdint.h>

struct file_map {
	const uint8_t *data; /* NULL for an empty file */
	size_t len;
};

/* Map path. Returns 0, or a negative errno: -ENOENT/-EACCES from open,
 * -EISDIR or -EINVAL (not a regular file), -ENODATA for an empty file. */
int file_map_open(const char *path, struct file_map *fm);
void file_map_close(struct file_map *fm);

#endif

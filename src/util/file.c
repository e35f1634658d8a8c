#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int file_map_open(const char *path, struct file_map *fm)
{
	struct stat st;
	void *p;
	int fd, r = 0;

	fm->data = NULL;
	fm->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (st.st_size == 0)
		r = -ENODATA;
	if (r == 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			r = -errno;
		} else {
			fm->data = p;
			fm->len = (size_t)st.st_size;
		}
	}
	close(fd);
	return r;
}

void file_map_close(struct file_map *fm)
{
	if (fm->data)
		munmap((void *)fm->data, fm->len);
	fm->data = NULL;
	fm->len = 0;
}

/* iov: helpers over struct iovec arrays, the shape device code gets guest
 * buffers in (one entry per descriptor, already bounds-checked host views). */
#ifndef SKIFF_UTIL_IOV_H
#define SKIFF_UTIL_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* Total bytes in iov[0..n). */
size_t iov_length(const struct iovec *iov, unsigned int n);
/* Copy up to len bytes starting at byte off of the iovec into buf (to_buf)
 * or from buf into it (from_buf). Returns the bytes copied (less than len
 * when the iovec ends first). */
size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t off, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t off, const void *buf,
		    size_t len);
/* Describe bytes [off, off+len) of src as at most max entries in dst.
 * Returns the entry count, or -1 when the range is outside src or needs
 * more than max entries. */
int iov_slice(const struct iovec *src, unsigned int n, size_t off, size_t len,
	      struct iovec *dst, unsigned int max);

#endif

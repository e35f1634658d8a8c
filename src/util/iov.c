#include "util/iov.h"

#include <stdint.h>
#include <string.h>

size_t iov_length(const struct iovec *iov, unsigned int n)
{
	size_t t = 0;

	for (unsigned int i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

static size_t iov_copy(const struct iovec *iov, unsigned int n, size_t off, void *buf,
		       size_t len, int to_buf)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t seg = iov[i].iov_len, chunk;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		chunk = seg - off < len - done ? seg - off : len - done;
		if (to_buf)
			memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + off, chunk);
		else
			memcpy((uint8_t *)iov[i].iov_base + off, (const uint8_t *)buf + done, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t off, void *buf, size_t len)
{
	return iov_copy(iov, n, off, buf, len, 1);
}

size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t off, const void *buf,
		    size_t len)
{
	return iov_copy(iov, n, off, (void *)buf, len, 0);
}

int iov_slice(const struct iovec *src, unsigned int n, size_t off, size_t len,
	      struct iovec *dst, unsigned int max)
{
	unsigned int out = 0;

	for (unsigned int i = 0; i < n && len > 0; i++) {
		size_t seg = src[i].iov_len, chunk;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		if (out == max)
			return -1;
		chunk = seg - off < len ? seg - off : len;
		dst[out].iov_base = (uint8_t *)src[i].iov_base + off;
		dst[out].iov_len = chunk;
		out++;
		len -= chunk;
		off = 0;
	}
	return len == 0 ? (int)out : -1;
}

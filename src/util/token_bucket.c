#include "util/token_bucket.h"

#include <errno.h>
#include <string.h>

int token_bucket_init(struct token_bucket *b, uint64_t size, uint64_t one_time_burst,
		      uint64_t refill_ns, uint64_t now_ns)
{
	memset(b, 0, sizeof(*b));
	if (size && !refill_ns)
		return -EINVAL;
	b->size = size;
	b->refill_ns = refill_ns;
	b->one_time_burst = one_time_burst;
	b->budget = size; /* start full, as Firecracker does */
	b->last_ns = now_ns;
	return 0;
}

/* Add the tokens earned since last_ns, capped at size. The time actually
 * converted into tokens is charged, so no fraction of a token is lost to
 * rounding however often this runs. */
static void refill(struct token_bucket *b, uint64_t now_ns)
{
	uint64_t elapsed, tokens;

	if (now_ns <= b->last_ns)
		return;
	elapsed = now_ns - b->last_ns;
	if (elapsed >= b->refill_ns) {
		b->budget = b->size;
		b->last_ns = now_ns;
		return;
	}
	/* elapsed < refill_ns, so size * elapsed / refill_ns < size: compute
	 * with 128-bit arithmetic to avoid overflow for large sizes. */
	tokens = (uint64_t)((unsigned __int128)b->size * elapsed / b->refill_ns);
	if (tokens == 0)
		return;
	b->last_ns += (uint64_t)((unsigned __int128)tokens * b->refill_ns / b->size);
	b->budget = b->budget + tokens > b->size ? b->size : b->budget + tokens;
}

bool token_bucket_take(struct token_bucket *b, uint64_t n, uint64_t now_ns)
{
	uint64_t from_burst;

	if (!b->size)
		return true;
	from_burst = n < b->one_time_burst ? n : b->one_time_burst;
	n -= from_burst;
	refill(b, now_ns);
	if (n > b->budget && !(n > b->size && b->budget == b->size))
		return false;
	b->one_time_burst -= from_burst;
	b->budget = n > b->budget ? 0 : b->budget - n;
	return true;
}

uint64_t token_bucket_wait_ns(struct token_bucket *b, uint64_t n, uint64_t now_ns)
{
	uint64_t need;

	if (!b->size)
		return 0;
	n -= n < b->one_time_burst ? n : b->one_time_burst;
	refill(b, now_ns);
	if (n > b->size)
		n = b->size; /* an oversized request goes once the bucket is full */
	if (n <= b->budget)
		return 0;
	need = n - b->budget;
	/* ceil(need * refill_ns / size), less what has accrued since last_ns */
	uint64_t t = (uint64_t)(((unsigned __int128)need * b->refill_ns + b->size - 1) / b->size);
	uint64_t accrued = now_ns > b->last_ns ? now_ns - b->last_ns : 0;

	return t > accrued ? t - accrued : 0;
}

bool rate_limiter_take(struct rate_limiter *rl, uint64_t len, uint64_t now_ns)
{
	struct token_bucket saved = rl->bytes;

	if (!token_bucket_take(&rl->bytes, len, now_ns))
		return false;
	if (!token_bucket_take(&rl->ops, 1, now_ns)) {
		rl->bytes = saved; /* neither or both */
		return false;
	}
	return true;
}

uint64_t rate_limiter_wait_ns(struct rate_limiter *rl, uint64_t len, uint64_t now_ns)
{
	uint64_t a = token_bucket_wait_ns(&rl->bytes, len, now_ns);
	uint64_t b = token_bucket_wait_ns(&rl->ops, 1, now_ns);

	return a > b ? a : b;
}

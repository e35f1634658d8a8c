/* token_bucket: rate limiting as Firecracker users configure it: a bucket
 * of `size` tokens refilled evenly over `refill_ns`, plus an optional
 * one-time burst spent before the bucket. A rate_limiter pairs a bytes
 * bucket with an operations bucket; either may be absent (size 0 =
 * unlimited). Time is passed in (CLOCK_MONOTONIC ns) so the arithmetic is
 * testable; nothing here sleeps or locks. */
#ifndef SKIFF_UTIL_TOKEN_BUCKET_H
#define SKIFF_UTIL_TOKEN_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct token_bucket {
	uint64_t size;            /* tokens per refill_ns; 0: unlimited */
	uint64_t refill_ns;
	uint64_t one_time_burst;  /* extra tokens, used first, never refilled */
	uint64_t budget;          /* tokens available now */
	uint64_t last_ns;         /* time of the last refill */
};

/* size 0 makes an unlimited bucket. -EINVAL for size > 0 with refill_ns 0. */
int token_bucket_init(struct token_bucket *b, uint64_t size, uint64_t one_time_burst,
		      uint64_t refill_ns, uint64_t now_ns);
/* Take n tokens if available (burst first); false leaves the bucket as it
 * was. A request larger than the bucket is allowed once the bucket is full
 * (it would never fit otherwise) and drives the budget to zero. */
bool token_bucket_take(struct token_bucket *b, uint64_t n, uint64_t now_ns);
/* Nanoseconds until n tokens would be available (0 if now). */
uint64_t token_bucket_wait_ns(struct token_bucket *b, uint64_t n, uint64_t now_ns);

struct rate_limiter {
	struct token_bucket bytes;
	struct token_bucket ops;
};

/* Both buckets or neither: true when one operation of len bytes may go. */
bool rate_limiter_take(struct rate_limiter *rl, uint64_t len, uint64_t now_ns);
/* How long until that operation could go. */
uint64_t rate_limiter_wait_ns(struct rate_limiter *rl, uint64_t len, uint64_t now_ns);

#endif

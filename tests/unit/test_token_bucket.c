/* Unit tests: token bucket and rate limiter arithmetic. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/token_bucket.h"

#define MS 1000000ULL

static void unlimited_and_bad_config(void **state)
{
	struct token_bucket b;

	(void)state;
	assert_int_equal(token_bucket_init(&b, 0, 0, 0, 0), 0);
	assert_true(token_bucket_take(&b, UINT64_MAX, 0));
	assert_int_equal(token_bucket_wait_ns(&b, UINT64_MAX, 0), 0);
	assert_int_equal(token_bucket_init(&b, 100, 0, 0, 0), -EINVAL);
}

static void refills_evenly(void **state)
{
	struct token_bucket b;

	(void)state;
	/* 1000 tokens per 100 ms, starting full */
	assert_int_equal(token_bucket_init(&b, 1000, 0, 100 * MS, 0), 0);
	assert_true(token_bucket_take(&b, 1000, 0));
	assert_false(token_bucket_take(&b, 1, 0));
	assert_int_equal(token_bucket_wait_ns(&b, 100, 0), 10 * MS);
	/* after 10 ms: 100 tokens */
	assert_false(token_bucket_take(&b, 101, 10 * MS));
	assert_true(token_bucket_take(&b, 100, 10 * MS));
	/* refill is capped at the size */
	assert_true(token_bucket_take(&b, 1000, 10 * MS + 500 * MS));
	assert_false(token_bucket_take(&b, 1, 10 * MS + 500 * MS));
	/* many tiny refills lose nothing to rounding: 1000 steps of 0.1 ms */
	uint64_t t = 10 * MS + 500 * MS, got = 0;
	for (int i = 0; i < 1000; i++) {
		t += MS / 10;
		while (token_bucket_take(&b, 1, t))
			got++;
	}
	assert_int_equal(got, 1000);
}

static void burst_then_bucket(void **state)
{
	struct token_bucket b;

	(void)state;
	assert_int_equal(token_bucket_init(&b, 100, 500, 1000 * MS, 0), 0);
	assert_true(token_bucket_take(&b, 550, 0)); /* 500 burst + 50 bucket */
	assert_int_equal(b.one_time_burst, 0);
	assert_int_equal(b.budget, 50);
	assert_false(token_bucket_take(&b, 51, 0));
	/* the burst never comes back */
	assert_true(token_bucket_take(&b, 100, 2000 * MS));
	assert_false(token_bucket_take(&b, 1, 2000 * MS));
}

static void oversized_request_goes_when_full(void **state)
{
	struct token_bucket b;

	(void)state;
	assert_int_equal(token_bucket_init(&b, 100, 0, 100 * MS, 0), 0);
	assert_true(token_bucket_take(&b, 1000, 0)); /* full bucket: allowed once */
	assert_int_equal(b.budget, 0);
	assert_false(token_bucket_take(&b, 1000, 50 * MS));
	assert_int_equal(token_bucket_wait_ns(&b, 1000, 50 * MS), 50 * MS);
	assert_true(token_bucket_take(&b, 1000, 100 * MS));
}

static void limiter_takes_both_or_neither(void **state)
{
	struct rate_limiter rl;

	(void)state;
	assert_int_equal(token_bucket_init(&rl.bytes, 10000, 0, 1000 * MS, 0), 0);
	assert_int_equal(token_bucket_init(&rl.ops, 2, 0, 1000 * MS, 0), 0);
	assert_true(rate_limiter_take(&rl, 1000, 0));
	assert_true(rate_limiter_take(&rl, 1000, 0));
	/* ops exhausted: the bytes must not be charged */
	assert_false(rate_limiter_take(&rl, 1000, 0));
	assert_int_equal(rl.bytes.budget, 8000);
	assert_int_equal(rate_limiter_wait_ns(&rl, 1000, 0), 500 * MS);
	assert_true(rate_limiter_take(&rl, 1000, 500 * MS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unlimited_and_bad_config),
		cmocka_unit_test(refills_evenly),
		cmocka_unit_test(burst_then_bucket),
		cmocka_unit_test(oversized_request_goes_when_full),
		cmocka_unit_test(limiter_takes_both_or_neither),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

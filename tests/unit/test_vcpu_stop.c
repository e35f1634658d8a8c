/* Unit tests: vcpu_stop() joins a vCPU thread that leaves when kicked and
 * gives up, bounded, on one that does not (a thread stuck in the host
 * kernel must not hang skiff's exit). The threads stand in for vCPU
 * threads; no KVM is needed. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/kvm.h>

#include "vmm/vm.h"

/* Leaves at the first kick, as a vCPU thread whose KVM_RUN returns EINTR. */
static void *leaves_when_kicked(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigwait(&set, &sig);
	return NULL;
}

static pthread_mutex_t stuck_lock = PTHREAD_MUTEX_INITIALIZER;

/* Never sees the kick: blocked until the test lets it go. */
static void *stuck(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&stuck_lock);
	pthread_mutex_unlock(&stuck_lock);
	return NULL;
}

static void start(struct vcpu *v, struct kvm_run *run, void *(*fn)(void *))
{
	memset(v, 0, sizeof(*v));
	memset(run, 0, sizeof(*run));
	v->run = run;
	assert_int_equal(pthread_create(&v->thread, NULL, fn, NULL), 0);
	v->thread_started = 1;
}

static void joins_a_thread_that_leaves(void **state)
{
	struct kvm_run run;
	struct vcpu v;

	(void)state;
	start(&v, &run, leaves_when_kicked);
	assert_int_equal(vcpu_stop(&v), 0);
	assert_int_equal(v.thread_started, 0);
	assert_int_equal(run.immediate_exit, 1);
	assert_int_equal(vcpu_stop(&v), 0); /* stopped twice: nothing to do */
}

static void gives_up_on_a_stuck_thread(void **state)
{
	struct kvm_run run;
	struct vcpu v;

	(void)state;
	pthread_mutex_lock(&stuck_lock);
	start(&v, &run, stuck);
	/* returning at all is the point: the thread is still there */
	assert_int_equal(vcpu_stop(&v), -ETIMEDOUT);
	assert_int_equal(v.thread_started, 1);
	pthread_mutex_unlock(&stuck_lock);
	assert_int_equal(pthread_join(v.thread, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(joins_a_thread_that_leaves),
		cmocka_unit_test(gives_up_on_a_stuck_thread),
	};
	sigset_t set;

	/* The kick is taken by sigwait or stays pending, never fatal. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

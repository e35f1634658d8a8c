/* Unit tests: how net_tap_gone reads rtnetlink link events. A datagram
 * socketpair stands in for the netlink socket; the tap's first fd is a
 * socket (alive: a zero-length read succeeds) or a directory (a read
 * fails, as a detached tun file does with EBADFD). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "devices/net_tap.h"

struct link_msg {
	struct nlmsghdr h;
	struct ifinfomsg ifi;
};

struct fx {
	struct net_tap t;
	int nl[2];      /* [0] the tap's watch_fd, [1] the "kernel" */
	int alive, dead;
};

static int setup(void **state)
{
	static struct fx f;
	int s[2];

	memset(&f, 0, sizeof(f));
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, f.nl), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, s), 0);
	close(s[1]);
	f.alive = s[0];
	f.dead = open("/", O_RDONLY | O_DIRECTORY);
	assert_true(f.dead >= 0);
	f.t.watch_fd = f.nl[0];
	f.t.ifindex = 7;
	f.t.nfds = 1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close(f->nl[0]);
	close(f->nl[1]);
	close(f->alive);
	close(f->dead);
	return 0;
}

static void send_link(struct fx *f, uint16_t type, int ifindex, uint32_t len)
{
	struct link_msg m = { .h = { .nlmsg_len = len, .nlmsg_type = type },
			      .ifi = { .ifi_index = ifindex } };

	assert_int_equal(send(f->nl[1], &m, sizeof(m), 0), (ssize_t)sizeof(m));
}

static void deletion_of_this_tap(void **state)
{
	struct fx *f = *state;

	f->t.fds[0] = f->dead;
	send_link(f, RTM_DELLINK, 7, NLMSG_LENGTH(sizeof(struct ifinfomsg)));
	assert_true(net_tap_gone(&f->t));
	/* Drained: nothing more to say until the next event. */
	assert_false(net_tap_gone(&f->t));
}

static void other_links_and_events_ignored(void **state)
{
	struct fx *f = *state;

	f->t.fds[0] = f->dead;
	send_link(f, RTM_DELLINK, 8, NLMSG_LENGTH(sizeof(struct ifinfomsg)));
	send_link(f, RTM_NEWLINK, 7, NLMSG_LENGTH(sizeof(struct ifinfomsg)));
	/* Too short to carry an ifinfomsg: not read as one. */
	send_link(f, RTM_DELLINK, 7, NLMSG_LENGTH(0));
	assert_false(net_tap_gone(&f->t));
}

static void message_alone_is_not_proof(void **state)
{
	struct fx *f = *state;

	/* A DELLINK for our index while the fd still works (the index was
	 * reused, or the message is stale): the tap stays. */
	f->t.fds[0] = f->alive;
	send_link(f, RTM_DELLINK, 7, NLMSG_LENGTH(sizeof(struct ifinfomsg)));
	assert_false(net_tap_gone(&f->t));
}

static void not_watching(void **state)
{
	struct fx *f = *state;
	struct net_tap t = f->t;

	t.watch_fd = -1;
	t.fds[0] = f->dead;
	assert_false(net_tap_gone(&t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(deletion_of_this_tap, setup, teardown),
		cmocka_unit_test_setup_teardown(other_links_and_events_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(message_alone_is_not_proof, setup, teardown),
		cmocka_unit_test_setup_teardown(not_watching, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

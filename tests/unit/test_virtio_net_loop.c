/* Unit tests: virtio-net on an event loop the test runs, as skiff runs it:
 * the tap fd's readiness (EPOLLIN for receive, EPOLLOUT after a refused
 * write), the rate-limit timer, the backend's link events. The fixture
 * (device, socketpairs, driver helpers) is net_fixture.h. */
#include <sys/timerfd.h>

#include "net_fixture.h"

static int setup_loop(void **state)
{
	static struct fx f;

	signal(SIGPIPE, SIG_IGN);
	make_on(&f, 1, NULL, NULL, true);
	*state = &f;
	return 0;
}

static ssize_t host_recv(struct fx *f, uint8_t *buf, size_t len)
{
	return recv(f->sock[0][1], buf, len, MSG_DONTWAIT);
}

/* The tap fd readable wakes the loop, which fills the posted rx buffer. */
static void rx_served_on_readiness(void **state)
{
	struct fx *f = *state;
	uint16_t id;
	uint32_t len;
	int head;

	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	head = post_rx(f, 0, 1530, NULL);
	host_send(f, 0, 200, 3);
	assert_int_equal(event_loop_run_once(&f->loop, 1000), 1);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(id, head);
	assert_int_equal(len, NET_HDR_LEN + 200);
	assert_int_equal(f->n.stats.rx_frames, 1);
}

/* A full tap (EAGAIN) leaves the chains in the ring, none dropped; the fd
 * writable again (EPOLLOUT) sends them in order. */
static void tx_full_fd_resumes_on_epollout(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = { 0 };
	static uint8_t filler[4096], got[sizeof(filler)];
	unsigned int fillers = 0;

	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	while (send(f->sock[0][0], filler, sizeof(filler), MSG_DONTWAIT) > 0)
		assert_true(++fillers < 100000);
	assert_int_equal(errno, EAGAIN);
	for (int i = 0; i < 3; i++)
		post_tx(f, 1, &h, 60, (uint8_t)i, 0);
	vdrv_kick(&f->v, 1);
	assert_true(f->n.pair[0].tx_blocked);
	assert_int_equal(vdrv_used_idx(&f->v.rings[1]), 0);
	assert_int_equal(event_loop_run_once(&f->loop, 0), 0); /* still full */

	while (fillers--)
		assert_int_equal(host_recv(f, got, sizeof(got)), sizeof(filler));
	assert_int_equal(event_loop_run_once(&f->loop, 1000), 1);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(host_recv(f, got, sizeof(got)), NET_HDR_LEN + 60);
		assert_int_equal(got[NET_HDR_LEN], pat(0, (uint8_t)i));
	}
	assert_false(f->n.pair[0].tx_blocked);
	assert_int_equal(vdrv_used_idx(&f->v.rings[1]), 3);
	assert_int_equal(f->n.stats.tx_frames, 3);
	assert_int_equal(f->n.stats.tx_dropped, 0);
}

/* A rate-limited chain waits in the ring for the timer, which the device
 * arms itself; when it fires the chain goes. */
static void tx_limit_resumes_on_timer(void **state)
{
	struct fx *f = *state;
	struct virtio_net_limit tx = { .pps = 1 }; /* one frame per second */
	struct virtio_net_hdr_v1 h = { 0 };
	struct itimerspec armed, soon = { .it_value.tv_nsec = 1000000 };
	uint8_t got[256];

	teardown(state);
	make_on(f, 1, NULL, &tx, true);
	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	post_tx(f, 1, &h, 60, 1, 0);
	post_tx(f, 1, &h, 60, 2, 0);
	vdrv_kick(&f->v, 1);
	assert_int_equal(host_recv(f, got, sizeof(got)), NET_HDR_LEN + 60);
	assert_int_equal(host_recv(f, got, sizeof(got)), -1);
	assert_true(f->n.tx_throttled);
	assert_int_equal(timerfd_gettime(f->n.timer_fd, &armed), 0);
	assert_true(armed.it_value.tv_sec > 0 || armed.it_value.tv_nsec > 0);
	/* A second on the device's clock; the real one need not wait it. */
	fake_ns += 1000000000ULL;
	assert_int_equal(timerfd_settime(f->n.timer_fd, 0, &soon, NULL), 0);
	assert_int_equal(event_loop_run_once(&f->loop, 1000), 1);
	assert_int_equal(host_recv(f, got, sizeof(got)), NET_HDR_LEN + 60);
	assert_int_equal(got[NET_HDR_LEN], pat(0, 2));
	assert_false(f->n.tx_throttled);
	assert_int_equal(vdrv_used_idx(&f->v.rings[1]), 2);
}

static bool fake_gone_answer;
static unsigned int fake_gone_asked;

static bool fake_host_gone(void *ctx)
{
	eventfd_t v;

	eventfd_read(*(int *)ctx, &v);
	fake_gone_asked++;
	return fake_gone_answer;
}

/* Nothing is polled on the tap fd (as under vhost-net): the backend's
 * gone_fd is what tells the device, and only when host_gone says so. */
static void backend_gone_fd_takes_link_down(void **state)
{
	struct event_loop loop;
	struct vdrv_mem m;
	struct vdrv v;
	struct virtio_net n;
	int sock[2], efd = eventfd(0, EFD_NONBLOCK);
	struct virtio_net_params p = { .name = "test", .pairs = 1, .fds = sock,
				       .mac = { 0x02, 1, 2, 3, 4, 5 } };
	uint16_t status;
	unsigned int irqs;

	(void)state;
	assert_true(efd >= 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sock), 0);
	p.backend = (struct virtio_net_backend){ .host_gone = fake_host_gone, .gone_fd = efd,
						 .ctx = &efd };
	assert_int_equal(event_loop_init(&loop), 0);
	assert_int_equal(vdrv_mem_init(&m, 0), 0);
	assert_int_equal(virtio_net_init(&n, &p, &m.mem, &loop), 0);
	vdrv_attach(&v, &n.dev, &m);
	assert_true(vdrv_bring_up(&v, F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_STATUS), QSZ) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	irqs = v.tr.config_irqs;
	fake_gone_asked = 0;

	fake_gone_answer = false; /* a link event about something else */
	eventfd_write(efd, 1);
	event_loop_run_once(&loop, 1000);
	assert_int_equal(fake_gone_asked, 1);
	virtio_dev_config_read(&n.dev, 6, &status, 2);
	assert_int_equal(le16toh(status) & VIRTIO_NET_S_LINK_UP, VIRTIO_NET_S_LINK_UP);
	assert_int_equal(v.tr.config_irqs, irqs);

	fake_gone_answer = true;
	eventfd_write(efd, 1);
	event_loop_run_once(&loop, 1000);
	assert_int_equal(fake_gone_asked, 2);
	virtio_dev_config_read(&n.dev, 6, &status, 2);
	assert_int_equal(le16toh(status) & VIRTIO_NET_S_LINK_UP, 0);
	assert_int_equal(v.tr.config_irqs, irqs + 1);
	assert_true(n.link_gone);

	virtio_net_destroy(&n);
	/* Unwatched at destroy: a later event reaches no handler. */
	eventfd_write(efd, 1);
	event_loop_run_once(&loop, 0);
	assert_int_equal(fake_gone_asked, 2);
	vdrv_mem_destroy(&m);
	event_loop_destroy(&loop);
	close(sock[0]);
	close(sock[1]);
	close(efd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rx_served_on_readiness, setup_loop, teardown),
		cmocka_unit_test_setup_teardown(tx_full_fd_resumes_on_epollout, setup_loop, teardown),
		cmocka_unit_test_setup_teardown(tx_limit_resumes_on_timer, setup_loop, teardown),
		cmocka_unit_test(backend_gone_fd_takes_link_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

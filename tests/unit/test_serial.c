/* Unit tests: the 16550A UART as the Linux 8250 driver drives it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <linux/serial_reg.h>
#include <cmocka.h>

#include "arch/x86/serial.h"

struct irq_rec {
	int level;
	int rises;
};

static int irq_set(void *ctx, unsigned int gsi, int level)
{
	struct irq_rec *r = ctx;

	assert_int_equal(gsi, 4);
	if (level && !r->level)
		r->rises++;
	r->level = level;
	return 0;
}

struct fixture {
	struct serial s;
	struct irq_rec irq;
	int pipe[2];
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(pipe(f.pipe), 0);
	serial_init(&f.s, f.pipe[1], (struct irq_line){ irq_set, &f.irq, 4 });
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	serial_destroy(&f->s);
	close(f->pipe[0]);
	close(f->pipe[1]);
	return 0;
}

static uint8_t rd(struct fixture *f, unsigned int reg)
{
	uint8_t v;

	serial_ops.read(&f->s, reg, &v, 1);
	return v;
}

static void wr(struct fixture *f, unsigned int reg, uint8_t v)
{
	serial_ops.write(&f->s, reg, &v, 1);
}

static void transmit_reaches_host(void **state)
{
	struct fixture *f = *state;
	char buf[8] = { 0 };

	wr(f, UART_TX, 'h');
	wr(f, UART_TX, 'i');
	assert_int_equal(read(f->pipe[0], buf, sizeof(buf)), 2);
	assert_string_equal(buf, "hi");
	assert_true(rd(f, UART_LSR) & UART_LSR_THRE);
	assert_true(rd(f, UART_LSR) & UART_LSR_TEMT);
}

/* The probe Linux's autoconfig() runs: IER holds 4 bits, FIFO shows up as a
 * 16550A in IIR bits 6-7, the scratch register keeps its value. */
static void probe_looks_like_16550a(void **state)
{
	struct fixture *f = *state;

	wr(f, UART_IER, 0);
	assert_int_equal(rd(f, UART_IER), 0);
	wr(f, UART_IER, 0xff);
	assert_int_equal(rd(f, UART_IER), 0x0f);
	wr(f, UART_IER, 0);
	wr(f, UART_SCR, 0xa5);
	assert_int_equal(rd(f, UART_SCR), 0xa5);
	wr(f, UART_FCR, UART_FCR_ENABLE_FIFO);
	assert_int_equal(rd(f, UART_IIR) >> 6, 3);
	/* divisor latch is separate from THR/IER */
	wr(f, UART_LCR, UART_LCR_DLAB);
	wr(f, UART_DLL, 1);
	wr(f, UART_DLM, 2);
	assert_int_equal(rd(f, UART_DLL), 1);
	assert_int_equal(rd(f, UART_DLM), 2);
	wr(f, UART_LCR, UART_LCR_WLEN8);
	assert_int_equal(rd(f, UART_IER), 0);
	/* loopback: MCR outputs show up as modem inputs, data loops back */
	wr(f, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
	assert_int_equal(rd(f, UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_CTS);
	wr(f, UART_TX, 'x');
	assert_true(rd(f, UART_LSR) & UART_LSR_DR);
	assert_int_equal(rd(f, UART_RX), 'x');
}

static void thre_interrupt_protocol(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, UART_IIR) & 0x0f, UART_IIR_NO_INT);
	/* enabling THRI with an empty THR interrupts at once */
	wr(f, UART_IER, UART_IER_THRI);
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(rd(f, UART_IIR) & 0x0f, UART_IIR_THRI);
	/* reading IIR acknowledged it */
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(rd(f, UART_IIR) & 0x0f, UART_IIR_NO_INT);
	/* each transmitted byte empties THR again: a new rising edge */
	wr(f, UART_TX, 'a');
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(f->irq.rises, 2);
	wr(f, UART_IER, 0);
	assert_int_equal(f->irq.level, 0);
}

static void receive_fifo_and_interrupts(void **state)
{
	struct fixture *f = *state;
	uint8_t many[SERIAL_RX_FIFO + 10];

	memset(many, 'z', sizeof(many));
	/* no interrupt until the driver enables it */
	assert_int_equal(serial_receive(&f->s, (const uint8_t *)"ab", 2), 2);
	assert_int_equal(f->irq.level, 0);
	wr(f, UART_IER, UART_IER_RDI);
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(rd(f, UART_IIR) & 0x0f, UART_IIR_RDI);
	assert_int_equal(rd(f, UART_RX), 'a');
	assert_int_equal(rd(f, UART_RX), 'b');
	assert_false(rd(f, UART_LSR) & UART_LSR_DR);
	assert_int_equal(f->irq.level, 0);
	/* room is only offered while the driver listens: IER RDI and MCR OUT2
	 * (Linux's probe sets IER alone before the startup that clears the FIFO) */
	wr(f, UART_IER, 0);
	assert_int_equal(serial_rx_room(&f->s), 0);
	wr(f, UART_IER, UART_IER_RDI);
	assert_int_equal(serial_rx_room(&f->s), 0);
	wr(f, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	assert_int_equal(serial_rx_room(&f->s), SERIAL_RX_FIFO);
	/* the FIFO takes what fits and no more */
	assert_int_equal(serial_receive(&f->s, many, sizeof(many)), SERIAL_RX_FIFO);
	assert_int_equal(serial_rx_room(&f->s), 0);
	assert_int_equal(serial_receive(&f->s, many, 1), 0);
	/* FCR clear-receiver empties it */
	wr(f, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	assert_int_equal(serial_rx_room(&f->s), SERIAL_RX_FIFO);
	/* reading an empty RBR is harmless */
	assert_int_equal(rd(f, UART_RX), 0);
}

static int room_calls;
static void on_room(void *ctx)
{
	(void)ctx;
	room_calls++;
}

static void drain_signals_room(void **state)
{
	struct fixture *f = *state;

	f->s.rx_room = on_room;
	room_calls = 0;
	wr(f, UART_IER, UART_IER_RDI);
	assert_int_equal(room_calls, 0); /* not yet: OUT2 is low */
	wr(f, UART_MCR, UART_MCR_OUT2); /* the driver starts listening */
	assert_int_equal(room_calls, 1);
	wr(f, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR);
	assert_int_equal(room_calls, 1); /* only on the transition */
	room_calls = 0;
	serial_receive(&f->s, (const uint8_t *)"xy", 2);
	rd(f, UART_RX);
	assert_int_equal(room_calls, 0);
	rd(f, UART_RX);
	assert_int_equal(room_calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(transmit_reaches_host, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_looks_like_16550a, setup, teardown),
		cmocka_unit_test_setup_teardown(thre_interrupt_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(receive_fifo_and_interrupts, setup, teardown),
		cmocka_unit_test_setup_teardown(drain_signals_room, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* serial: a 16550A UART (8250 family) on COM1, the default guest console.
 * Register model from the 16550D datasheet (TI/National, "Registers").
 * Transmitted bytes go straight to out_fd; received bytes are queued by
 * serial_receive() from the event loop. Safe to call from any thread. */
#ifndef SKIFF_ARCH_X86_SERIAL_H
#define SKIFF_ARCH_X86_SERIAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "bus/io_bus.h"
#include "bus/irq.h"

#define SERIAL_RX_FIFO 64

struct serial {
	pthread_mutex_t lock;
	struct irq_line irq;
	int out_fd;
	/* Called (with the lock dropped) when the guest has emptied the receive
	 * FIFO or started listening (receive interrupt enabled and OUT2 raised),
	 * so the owner can feed more input. */
	void (*rx_room)(void *ctx);
	void *rx_room_ctx;

	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm, msr_delta;
	int thr_interrupt;    /* THR-empty interrupt pending */
	int irq_level;        /* last level driven on the line */
	uint8_t rx[SERIAL_RX_FIFO];
	unsigned int rx_head, rx_count;
	unsigned long tx_errors; /* bytes the host side could not take */
};

extern const struct io_bus_ops serial_ops; /* 8 ports at the COM base */

void serial_init(struct serial *s, int out_fd, struct irq_line irq);
void serial_destroy(struct serial *s);
/* Queue up to len received bytes; returns how many fitted (0 when full). */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);
/* Room left in the receive FIFO; 0 until the guest driver listens
 * (receive interrupt enabled and OUT2 raised, as Linux's startup leaves it). */
size_t serial_rx_room(struct serial *s);

#endif

#include "arch/x86/serial.h"

#include <errno.h>
#include <linux/serial_reg.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

/* Interrupt identification, highest priority first (16550D "Interrupt
 * Identification Register"): receiver data, THR empty, modem status. */
static uint8_t serial_iir(const struct serial *s)
{
	uint8_t fifo = (s->fcr & UART_FCR_ENABLE_FIFO) ? 0xc0 : 0;

	if ((s->ier & UART_IER_RDI) && s->rx_count)
		return fifo | UART_IIR_RDI;
	if ((s->ier & UART_IER_THRI) && s->thr_interrupt)
		return fifo | UART_IIR_THRI;
	if ((s->ier & UART_IER_MSI) && s->msr_delta)
		return fifo | UART_IIR_MSI;
	return fifo | UART_IIR_NO_INT;
}

/* Called with the lock held after every state change. The line follows the
 * pending state, so each new interrupt is a rising edge at the IOAPIC pin. */
static void serial_update_irq(struct serial *s)
{
	int level = !(serial_iir(s) & UART_IIR_NO_INT);

	if (level != s->irq_level) {
		s->irq_level = level;
		irq_line_set(&s->irq, level);
	}
}

static uint8_t serial_msr(const struct serial *s)
{
	uint8_t msr = s->msr_delta;

	if (s->mcr & UART_MCR_LOOP) {
		/* Loopback: outputs feed the modem inputs (16550D "MCR" bit 4). */
		if (s->mcr & UART_MCR_DTR)
			msr |= UART_MSR_DSR;
		if (s->mcr & UART_MCR_RTS)
			msr |= UART_MSR_CTS;
		if (s->mcr & UART_MCR_OUT1)
			msr |= UART_MSR_RI;
		if (s->mcr & UART_MCR_OUT2)
			msr |= UART_MSR_DCD;
		return msr;
	}
	return msr | UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS; /* a cable is in */
}

static void rx_push(struct serial *s, uint8_t b)
{
	if (s->rx_count < SERIAL_RX_FIFO) {
		s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_FIFO] = b;
		s->rx_count++;
	}
}

/* The driver is ready for input once it enabled the receive interrupt and
 * raised OUT2, which gates the UART's IRQ on a PC. Linux does both at the
 * end of serial8250_startup(), after clearing the FIFO; its probe earlier
 * toggles IER alone, so IER by itself is not enough. */
static bool serial_listening(const struct serial *s)
{
	return (s->ier & UART_IER_RDI) && (s->mcr & UART_MCR_OUT2);
}

static void serial_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	struct serial *s = opaque;
	int drained = 0;
	uint8_t v = 0;

	memset(data, 0, len);
	pthread_mutex_lock(&s->lock);
	switch (off) {
	case UART_RX:
		if (s->lcr & UART_LCR_DLAB) {
			v = s->dll;
		} else if (s->rx_count) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % SERIAL_RX_FIFO;
			drained = --s->rx_count == 0;
		}
		break;
	case UART_IER:
		v = (s->lcr & UART_LCR_DLAB) ? s->dlm : s->ier;
		break;
	case UART_IIR:
		v = serial_iir(s);
		/* Reading IIR while it reports THR empty clears that source. */
		if ((v & 0x0f) == UART_IIR_THRI)
			s->thr_interrupt = 0;
		break;
	case UART_LCR: v = s->lcr; break;
	case UART_MCR: v = s->mcr; break;
	case UART_LSR:
		/* Bytes leave at once: the transmitter is always empty. */
		v = UART_LSR_TEMT | UART_LSR_THRE | (s->rx_count ? UART_LSR_DR : 0);
		break;
	case UART_MSR:
		v = serial_msr(s);
		s->msr_delta = 0;
		break;
	case UART_SCR: v = s->scr; break;
	}
	data[0] = v;
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	if (drained && s->rx_room)
		s->rx_room(s->rx_room_ctx);
}

static void serial_transmit(struct serial *s, uint8_t b)
{
	if (s->mcr & UART_MCR_LOOP) {
		rx_push(s, b);
		return;
	}
	while (write(s->out_fd, &b, 1) < 0) {
		if (errno != EINTR) {
			s->tx_errors++;
			break;
		}
	}
}

static void serial_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct serial *s = opaque;
	uint8_t v = data[0];
	bool was_listening = serial_listening(s), listening;

	(void)len;
	pthread_mutex_lock(&s->lock);
	switch (off) {
	case UART_TX:
		if (s->lcr & UART_LCR_DLAB) {
			s->dll = v;
			break;
		}
		serial_transmit(s, v);
		s->thr_interrupt = 1;
		break;
	case UART_IER:
		if (s->lcr & UART_LCR_DLAB) {
			s->dlm = v;
			break;
		}
		/* Enabling THRI with an empty THR raises it at once, which is how
		 * drivers start transmission. */
		if (!(s->ier & UART_IER_THRI) && (v & UART_IER_THRI))
			s->thr_interrupt = 1;
		s->ier = v & 0x0f;
		break;
	case UART_FCR:
		s->fcr = v & (UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_MASK);
		if (v & UART_FCR_CLEAR_RCVR)
			s->rx_count = 0;
		break;
	case UART_LCR: s->lcr = v; break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_SCR: s->scr = v; break;
	default: break; /* LSR and MSR are read-only */
	}
	serial_update_irq(s);
	listening = !was_listening && serial_listening(s);
	pthread_mutex_unlock(&s->lock);
	if (listening && s->rx_room)
		s->rx_room(s->rx_room_ctx);
}

const struct io_bus_ops serial_ops = {
	.read = serial_read,
	.write = serial_write,
};

void serial_init(struct serial *s, int out_fd, struct irq_line irq)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->out_fd = out_fd;
	s->irq = irq;
	s->lcr = UART_LCR_WLEN8; /* MCR and IER reset to 0, as on the chip */
}

void serial_destroy(struct serial *s)
{
	pthread_mutex_destroy(&s->lock);
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	while (n < len && s->rx_count < SERIAL_RX_FIFO)
		rx_push(s, buf[n++]);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

size_t serial_rx_room(struct serial *s)
{
	size_t room;

	pthread_mutex_lock(&s->lock);
	/* Input waits on the host side until the driver listens: Linux's 8250
	 * startup clears the FIFO, so bytes queued earlier would be lost. */
	room = serial_listening(s) ? SERIAL_RX_FIFO - s->rx_count : 0;
	pthread_mutex_unlock(&s->lock);
	return room;
}

#include "devices/uart.h"

#include <string.h>

enum {
	REG_DATA = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3,
	REG_MCR = 4, REG_LSR = 5, REG_MSR = 6, REG_SCR = 7,
};

#define LCR_DLAB   0x80
#define LSR_DR     0x01
#define LSR_THRE   0x20
#define LSR_TEMT   0x40
#define IER_RDI    0x01
#define IER_THRI   0x02
#define IIR_NONE   0x01
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_FIFO   0xc0
#define MCR_LOOP   0x10
#define FCR_ENABLE 0x01
#define FCR_CLR_RX 0x02

void uart_init(struct uart *u, const struct uart_ops *ops, void *opaque)
{
	memset(u, 0, sizeof *u);
	pthread_mutex_init(&u->lock, NULL);
	u->ops = ops;
	u->opaque = opaque;
	u->lsr = LSR_THRE | LSR_TEMT;
	u->mcr = 0x08; /* OUT2 */
	u->dll = 0x0c; /* 9600 baud */
}

void uart_destroy(struct uart *u)
{
	pthread_mutex_destroy(&u->lock);
}

static uint8_t iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((u->ier & IER_RDI) && u->rx_count)
		return IIR_RDI | fifo;
	if ((u->ier & IER_THRI) && u->thre_pending)
		return IIR_THRI | fifo;
	return IIR_NONE | fifo;
}

static void update_irq(struct uart *u)
{
	int level = !(iir(u) & IIR_NONE);

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->ops->irq)
			u->ops->irq(u->opaque, level);
	}
}

static void push_rx(struct uart *u, uint8_t b)
{
	if (u->rx_count == UART_FIFO) {
		u->lsr |= 0x02; /* overrun */
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO] = b;
	u->rx_count++;
	u->lsr |= LSR_DR;
}

static uint8_t pop_rx(struct uart *u)
{
	uint8_t b;

	if (!u->rx_count)
		return 0;
	b = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO;
	if (--u->rx_count == 0)
		u->lsr &= ~LSR_DR;
	return b;
}

static uint8_t msr(const struct uart *u)
{
	if (u->mcr & MCR_LOOP) /* DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
		return (uint8_t)(((u->mcr & 0x01) << 5) | ((u->mcr & 0x02) << 3) |
				 ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4));
	return 0xb0; /* carrier, data set ready, clear to send */
}

static void write_reg(struct uart *u, unsigned reg, uint8_t v)
{
	switch (reg) {
	case REG_DATA:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
			break;
		}
		if (u->mcr & MCR_LOOP)
			push_rx(u, v);
		else if (u->ops->tx)
			u->ops->tx(u->opaque, &v, 1);
		/* The byte leaves at once, so the holding register is empty again. */
		u->thre_pending = true;
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		if ((v & IER_THRI) && !(u->ier & IER_THRI))
			u->thre_pending = true;
		u->ier = v & 0x0f;
		break;
	case REG_IIR_FCR:
		u->fcr = v & 0xc9;
		if (v & FCR_CLR_RX) {
			u->rx_count = 0;
			u->lsr &= ~LSR_DR;
		}
		break;
	case REG_LCR: u->lcr = v; break;
	case REG_MCR: u->mcr = v & 0x1f; break;
	case REG_SCR: u->scr = v; break;
	default: break; /* LSR and MSR are read-only */
	}
}

static uint8_t read_reg(struct uart *u, unsigned reg, bool *room)
{
	uint8_t v;

	switch (reg) {
	case REG_DATA:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		*room = u->rx_count == UART_FIFO;
		return pop_rx(u);
	case REG_IER: return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case REG_IIR_FCR:
		v = iir(u);
		if ((v & 0x0f) == IIR_THRI)
			u->thre_pending = false;
		return v;
	case REG_LCR: return u->lcr;
	case REG_MCR: return u->mcr;
	case REG_LSR:
		v = u->lsr;
		u->lsr &= ~0x02;
		return v;
	case REG_MSR: return msr(u);
	default: return u->scr;
	}
}

void uart_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t size, bool is_write)
{
	struct uart *u = opaque;
	bool room = false;

	if (offset > REG_SCR)
		return;
	pthread_mutex_lock(&u->lock);
	if (is_write) {
		write_reg(u, (unsigned)offset, data[0]);
	} else {
		data[0] = read_reg(u, (unsigned)offset, &room);
		for (uint32_t i = 1; i < size; i++)
			data[i] = 0;
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	if (room && u->ops->rx_space)
		u->ops->rx_space(u->opaque);
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && u->rx_count < UART_FIFO)
		push_rx(u, buf[n++]);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

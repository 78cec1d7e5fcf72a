/* A 16550A-compatible UART register model (COM1). Host-independent: bytes
 * leave through tx(), the interrupt line is driven through irq(), and input
 * enters through uart_receive(). Safe to call from several threads. */
#ifndef VMM_DEVICES_UART_H
#define VMM_DEVICES_UART_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_FIFO 16

struct uart_ops {
	void (*tx)(void *opaque, const uint8_t *bytes, size_t len);
	void (*irq)(void *opaque, int level);
	void (*rx_space)(void *opaque); /* the receive FIFO has room again */
};

struct uart {
	pthread_mutex_t lock;
	const struct uart_ops *ops;
	void *opaque;
	uint8_t ier, lcr, mcr, lsr, scr, dll, dlm, fcr;
	bool thre_pending; /* "transmitter empty" interrupt not yet acknowledged */
	int irq_level;
	uint8_t rx[UART_FIFO];
	unsigned rx_head, rx_count;
};

void uart_init(struct uart *u, const struct uart_ops *ops, void *opaque);
void uart_destroy(struct uart *u);
/* io_bus handler for the eight registers. */
void uart_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t size, bool is_write);
/* Offers input to the guest; returns how many bytes fit in the FIFO. */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);

#endif

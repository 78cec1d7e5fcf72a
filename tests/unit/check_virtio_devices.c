/* The virtio-mmio transport and the blk, rng and vsock devices, driven by a
 * driver in the test (fake_driver.h) over a guest_mem buffer: no KVM. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check_suite.h"
#include "abi/virtio_mmio.h"
#include "abi/vsock.h"
#include "unit/fake_driver.h"
#include "unit/suites.h"
#include "virtio/blk.h"
#include "virtio/rng.h"
#include "virtio/vsock.h"
#include "host/vsock_connect.h"

#define RAM     (4u << 20)
#define RINGS   0x10000ull  /* queue i's rings at RINGS + i * 0x10000 */
#define DATA    0x100000ull /* buffers from here */
#define BASE    0xd0000000ull
#define GSI     5

static struct guest_mem mem;

static void mem_setup(void)
{
	struct err e;

	ck_assert_int_eq(guest_mem_alloc(&mem, RAM, &e), 0);
}

static void mem_teardown(void)
{
	guest_mem_free(&mem);
}

static uint8_t *at(uint64_t gpa)
{
	return guest_mem_ptr(&mem, gpa, 1);
}

/* ---- the transport, through an rng device ---- */

START_TEST(mmio_registers_and_negotiation)
{
	static struct virtio_rng r;
	struct fake_queue q;
	struct err e;

	ck_assert_int_eq(virtio_rng_attach(&r, &mem, NULL, BASE, GSI, &e), 0);
	ck_assert_uint_eq(fake_reg_read(&r.dev, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	ck_assert_uint_eq(fake_reg_read(&r.dev, VIRTIO_MMIO_VERSION), VIRTIO_MMIO_VERSION_2);
	ck_assert_uint_eq(fake_reg_read(&r.dev, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
	ck_assert_uint_eq(fake_reg_read(&r.dev, VIRTIO_MMIO_VENDOR_ID), VIRTIO_VENDOR_VMM);
	ck_assert_uint_ge(fake_reg_read(&r.dev, VIRTIO_MMIO_QUEUE_NUM_MAX), 256);
	/* a feature we never offered is refused */
	ck_assert(!fake_driver_begin(&r.dev, 1ull << 20));
	ck_assert(fake_driver_begin(&r.dev, 0));
	fake_queue_setup(&q, &r.dev, 0, 8, RINGS);
	ck_assert_uint_eq(fake_reg_read(&r.dev, VIRTIO_MMIO_QUEUE_READY), 1);
	/* a live queue's registers are frozen */
	fake_reg_write(&r.dev, VIRTIO_MMIO_QUEUE_NUM, 4);
	ck_assert_uint_eq(r.dev.q[0].num, 8);
	/* unaligned or narrow register access reads all ones and writes nothing */
	uint16_t half = 0;
	virtio_mmio_io(&r.dev, VIRTIO_MMIO_STATUS, (uint8_t *)&half, 2, false);
	ck_assert_uint_eq(half, 0xffff);
	/* status 0 resets: the queue is gone */
	fake_reg_write(&r.dev, VIRTIO_MMIO_STATUS, 0);
	ck_assert_uint_eq(fake_reg_read(&r.dev, VIRTIO_MMIO_QUEUE_READY), 0);
	ck_assert_uint_eq(fake_reg_read(&r.dev, VIRTIO_MMIO_STATUS), 0);
	virtio_dev_destroy(&r.dev);
}
END_TEST

START_TEST(mmio_refuses_overlapping_rings)
{
	static struct virtio_rng r;
	struct err e;

	ck_assert_int_eq(virtio_rng_attach(&r, &mem, NULL, BASE, GSI, &e), 0);
	ck_assert(fake_driver_begin(&r.dev, 0));
	fake_reg_write(&r.dev, VIRTIO_MMIO_QUEUE_SEL, 0);
	fake_reg_write(&r.dev, VIRTIO_MMIO_QUEUE_NUM, 16);
	fake_reg_write(&r.dev, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RINGS);
	fake_reg_write(&r.dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)RINGS + 64); /* inside the table */
	fake_reg_write(&r.dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)RINGS + 0x1000);
	fake_reg_write(&r.dev, VIRTIO_MMIO_QUEUE_READY, 1);
	ck_assert_uint_eq(fake_reg_read(&r.dev, VIRTIO_MMIO_QUEUE_READY), 0);
	ck_assert(fake_reg_read(&r.dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	/* a reset clears it */
	ck_assert(fake_driver_begin(&r.dev, 0));
	ck_assert(!(fake_reg_read(&r.dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET));
	virtio_dev_destroy(&r.dev);
}
END_TEST

/* ---- rng ---- */

START_TEST(rng_fills_every_writable_buffer)
{
	static struct virtio_rng r;
	struct fake_queue q;
	struct err e;
	uint32_t id, len;
	static const uint8_t zeros[200];

	ck_assert_int_eq(virtio_rng_attach(&r, &mem, NULL, BASE, GSI, &e), 0);
	ck_assert(fake_driver_begin(&r.dev, 0));
	fake_queue_setup(&q, &r.dev, 0, 8, RINGS);
	fake_driver_ok(&r.dev);
	memset(at(DATA), 0, 4096);
	const struct fake_buf two[] = { { DATA, 100, true }, { DATA + 1024, 200, true } };
	uint16_t head = fake_queue_add(&q, two, 2);
	const struct fake_buf none[] = { { DATA + 2048, 16, false } }; /* nothing to fill */
	uint16_t head2 = fake_queue_add(&q, none, 1);
	fake_queue_kick(&q);
	ck_assert(fake_queue_used(&q, &id, &len));
	ck_assert_uint_eq(id, head);
	ck_assert_uint_eq(len, 300);
	ck_assert(memcmp(at(DATA + 1024), zeros, 200) != 0);
	ck_assert(fake_queue_used(&q, &id, &len));
	ck_assert_uint_eq(id, head2);
	ck_assert_uint_eq(len, 0);
	ck_assert(!fake_queue_used(&q, &id, &len));
	ck_assert_uint_eq(fake_interrupts(&r.dev), 1); /* one for the batch */
	virtio_dev_destroy(&r.dev);
}
END_TEST

/* ---- blk ---- */

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8

static struct virtio_blk blk;
static struct blk_disk disk;
static struct fake_queue bq;
static char disk_path[64];

/* A 64 KiB disk file whose byte i is (uint8_t)(i * 7), as a virtio-blk device. */
static void blk_open(bool readonly)
{
	struct disk_config cfg = { .readonly = readonly };
	struct err e;
	uint8_t buf[65536];
	int fd;

	snprintf(disk_path, sizeof disk_path, "/tmp/vmm-unit-disk-XXXXXX");
	fd = mkstemp(disk_path);
	ck_assert_int_ge(fd, 0);
	for (unsigned i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
	close(fd);
	snprintf(cfg.path, sizeof cfg.path, "%s", disk_path);
	ck_assert_msg(blk_disk_open(&disk, &cfg, &e) == 0, "%s", e.msg);
	virtio_blk_init(&blk, &disk);
	ck_assert_int_eq(virtio_blk_attach(&blk, 0, &mem, NULL, BASE, GSI, &e), 0);
	ck_assert(fake_driver_begin(&blk.dev, 0));
	fake_queue_setup(&bq, &blk.dev, 0, 16, RINGS);
	fake_driver_ok(&blk.dev);
}

static void blk_close(void)
{
	virtio_dev_destroy(&blk.dev);
	blk_disk_close(&disk);
	unlink(disk_path);
}

/* One request: header at DATA, data buffers as given, status byte after
 * them; returns the status and the used length. */
static uint8_t blk_do(uint32_t type, uint64_t sector, const struct fake_buf *data, unsigned n, uint32_t *used_len)
{
	struct fake_buf b[8];
	uint32_t id;
	uint8_t *hdr = at(DATA);

	memset(hdr, 0, 16);
	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	b[0] = (struct fake_buf){ DATA, 16, false };
	if (n)
		memcpy(b + 1, data, n * sizeof *data);
	b[n + 1] = (struct fake_buf){ DATA + 64, 1, true };
	*at(DATA + 64) = 0xee;
	fake_queue_add(&bq, b, n + 2);
	fake_queue_kick(&bq);
	ck_assert(fake_queue_used(&bq, &id, used_len));
	return *at(DATA + 64);
}

START_TEST(blk_reads_writes_and_identifies)
{
	uint32_t used;
	uint8_t disk[1024];

	blk_open(false);
	/* capacity in config space */
	ck_assert_uint_eq(fake_reg_read(&blk.dev, VIRTIO_MMIO_CONFIG), 128);
	/* a read of sector 2 split over three buffers */
	const struct fake_buf rd[] = { { DATA + 0x1000, 100, true }, { DATA + 0x2000, 412, true },
				       { DATA + 0x3000, 512, true } };
	ck_assert_uint_eq(blk_do(T_IN, 2, rd, 3, &used), 0);
	ck_assert_uint_eq(used, 1024 + 1);
	for (unsigned i = 0; i < 1024; i++) {
		uint8_t got = i < 100 ? *at(DATA + 0x1000 + i) : i < 512 ? *at(DATA + 0x2000 + i - 100)
								: *at(DATA + 0x3000 + i - 512);
		ck_assert_uint_eq(got, (uint8_t)((1024 + i) * 7));
	}
	/* a write reaches the file */
	memset(at(DATA + 0x4000), 0x5a, 512);
	const struct fake_buf wr[] = { { DATA + 0x4000, 512, false } };
	ck_assert_uint_eq(blk_do(T_OUT, 5, wr, 1, &used), 0);
	ck_assert_uint_eq(used, 1);
	int fd = open(disk_path, O_RDONLY);
	ck_assert_int_eq(pread(fd, disk, 512, 5 * 512), 512);
	close(fd);
	for (unsigned i = 0; i < 512; i++)
		ck_assert_uint_eq(disk[i], 0x5a);
	/* flush, get-id (the file's name), an unknown type */
	ck_assert_uint_eq(blk_do(T_FLUSH, 0, NULL, 0, &used), 0);
	const struct fake_buf id[] = { { DATA + 0x5000, 20, true } };
	ck_assert_uint_eq(blk_do(T_GET_ID, 0, id, 1, &used), 0);
	ck_assert_str_eq((char *)at(DATA + 0x5000), strrchr(disk_path, '/') + 1);
	ck_assert_uint_eq(blk_do(99, 0, NULL, 0, &used), 2); /* UNSUPP */
	/* past the end, and data in the wrong direction: I/O errors */
	ck_assert_uint_eq(blk_do(T_IN, 127, rd, 3, &used), 1);
	ck_assert_uint_eq(blk_do(T_OUT, 0, rd, 1, &used), 1);
	ck_assert(!(fake_reg_read(&blk.dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET));
	blk_close();
}
END_TEST

START_TEST(blk_readonly_disk_refuses_writes)
{
	uint32_t used;
	const struct fake_buf wr[] = { { DATA + 0x4000, 512, false } };

	blk_open(true);
	ck_assert_uint_eq(blk_do(T_OUT, 0, wr, 1, &used), 1); /* IOERR */
	blk_close();
}
END_TEST

START_TEST(blk_malformed_request_fails_the_device)
{
	uint32_t id, len;

	blk_open(false);
	fake_interrupts(&blk.dev);
	/* no writable status byte */
	const struct fake_buf bad[] = { { DATA, 16, false } };
	fake_queue_add(&bq, bad, 1);
	fake_queue_kick(&bq);
	ck_assert(!fake_queue_used(&bq, &id, &len));
	ck_assert(fake_reg_read(&blk.dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	ck_assert(fake_reg_read(&blk.dev, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG);
	ck_assert_uint_eq(fake_interrupts(&blk.dev), 1);
	/* a buffer outside guest RAM is the same kind of mistake */
	ck_assert(fake_driver_begin(&blk.dev, 0));
	fake_queue_setup(&bq, &blk.dev, 0, 16, RINGS);
	fake_driver_ok(&blk.dev);
	const struct fake_buf outside[] = { { RAM - 8, 16, false }, { DATA + 64, 1, true } };
	fake_queue_add(&bq, outside, 2);
	fake_queue_kick(&bq);
	ck_assert(fake_reg_read(&blk.dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	blk_close();
}
END_TEST

/* ---- vsock ---- */

static struct vsock_dev vs;
static struct event_loop loop;
static struct fake_queue vrx, vtx;
static int listener = -1;
static char sock_path[108];
static struct vsock_connect_config route;
static struct vsock_routes routes = { &route, 1 };
static const struct vsock_backend backend = { vsock_routes_connect, &routes };

static void vsock_open(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct err e;

	snprintf(sock_path, sizeof sock_path, "/tmp/vmm-unit-vsock-%d.sock", getpid());
	unlink(sock_path);
	listener = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(a.sun_path, sizeof a.sun_path, "%s", sock_path);
	ck_assert_int_eq(bind(listener, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(listener, 4), 0);
	route.port = 7000;
	snprintf(route.path, sizeof route.path, "%s", sock_path);
	ck_assert_int_eq(event_loop_init(&loop, &e), 0);
	ck_assert_int_eq(vsock_dev_init(&vs, 3, &backend, &e), 0);
	ck_assert_int_eq(vsock_dev_attach(&vs, &mem, NULL, BASE, GSI, &loop, &e), 0);
	ck_assert(fake_driver_begin(&vs.dev, 0));
	fake_queue_setup(&vrx, &vs.dev, 0, 16, RINGS);
	fake_queue_setup(&vtx, &vs.dev, 1, 16, RINGS + 0x10000);
	fake_driver_ok(&vs.dev);
	ck_assert_uint_eq(fake_reg_read(&vs.dev, VIRTIO_MMIO_CONFIG), 3); /* guest CID */
	for (unsigned i = 0; i < 4; i++) {
		const struct fake_buf b = { DATA + 0x10000 * i, 4096, true };
		fake_queue_add(&vrx, &b, 1);
	}
	fake_queue_kick(&vrx);
}

static void vsock_close(void)
{
	vsock_dev_destroy(&vs);
	event_loop_close(&loop);
	close(listener);
	unlink(sock_path);
}

/* Sends one packet from guest port 5000 to host port dst. */
static void guest_send(uint32_t dst, uint16_t op, const char *payload, uint32_t len_field)
{
	struct vsock_hdr h = { 3, VSOCK_HOST_CID, 5000, dst, len_field, VSOCK_TYPE_STREAM, op, 0, 65536, 0 };
	uint32_t n = payload ? (uint32_t)strlen(payload) : 0;
	struct fake_buf b = { DATA + 0x80000, VSOCK_HDR_SIZE + n, false };

	memcpy(at(b.gpa), &h, sizeof h);
	if (n)
		memcpy(at(b.gpa) + VSOCK_HDR_SIZE, payload, n);
	fake_queue_add(&vtx, &b, 1);
	fake_queue_kick(&vtx);
}

/* The next packet the device put in an rx buffer. */
static bool guest_recv(struct vsock_hdr *h, char *payload, size_t cap)
{
	uint32_t id, len;
	struct vring_desc *d;

	if (!fake_queue_used(&vrx, &id, &len))
		return false;
	d = guest_mem_ptr(&mem, vrx.desc + id * sizeof *d, sizeof *d);
	ck_assert_uint_ge(len, VSOCK_HDR_SIZE);
	memcpy(h, at(d->addr), sizeof *h);
	ck_assert_uint_eq(len, VSOCK_HDR_SIZE + h->len);
	if (payload && h->len < cap) {
		memcpy(payload, at(d->addr) + VSOCK_HDR_SIZE, h->len);
		payload[h->len] = 0;
	}
	/* hand the buffer back */
	const struct fake_buf b = { d->addr, 4096, true };
	fake_queue_add(&vrx, &b, 1);
	return true;
}

START_TEST(vsock_guest_connects_and_talks_to_a_unix_socket)
{
	struct vsock_hdr h;
	char buf[64];
	int fd;
	struct err e;

	vsock_open();
	guest_send(7000, VSOCK_OP_REQUEST, NULL, 0);
	fd = accept(listener, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert(guest_recv(&h, NULL, 0));
	ck_assert_uint_eq(h.op, VSOCK_OP_RESPONSE);
	ck_assert_uint_eq(h.src_port, 7000);
	ck_assert_uint_eq(h.dst_port, 5000);
	ck_assert_uint_eq(h.dst_cid, 3);
	/* guest -> host */
	guest_send(7000, VSOCK_OP_RW, "hello", 5);
	ck_assert_int_eq(read(fd, buf, sizeof buf), 5);
	ck_assert(memcmp(buf, "hello", 5) == 0);
	/* host -> guest, once the I/O loop sees the socket readable */
	ck_assert_int_eq(write(fd, "world", 5), 5);
	for (int i = 0; i < 10 && !guest_recv(&h, buf, sizeof buf); i++)
		ck_assert_int_ge(event_loop_run_once(&loop, 100, &e), 0);
	ck_assert_uint_eq(h.op, VSOCK_OP_RW);
	ck_assert_str_eq(buf, "world");
	/* the guest resets: the host sees the end */
	guest_send(7000, VSOCK_OP_RST, NULL, 0);
	ck_assert_int_eq(read(fd, buf, sizeof buf), 0);
	close(fd);
	vsock_close();
}
END_TEST

START_TEST(vsock_refuses_unrouted_ports_and_bad_packets)
{
	struct vsock_hdr h;

	vsock_open();
	guest_send(7001, VSOCK_OP_REQUEST, NULL, 0); /* no --vsock-connect route */
	ck_assert(guest_recv(&h, NULL, 0));
	ck_assert_uint_eq(h.op, VSOCK_OP_RST);
	ck_assert_uint_eq(h.dst_port, 5000);
	ck_assert(!(fake_reg_read(&vs.dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET));
	/* a length field that lies about the buffers: the device fails */
	guest_send(7000, VSOCK_OP_RW, "abc", 300);
	ck_assert(fake_reg_read(&vs.dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	vsock_close();
}
END_TEST

Suite *virtio_devices_suite(void)
{
	const TTest *const tests[] = {
		mmio_registers_and_negotiation, mmio_refuses_overlapping_rings, rng_fills_every_writable_buffer,
		blk_reads_writes_and_identifies, blk_readonly_disk_refuses_writes,
		blk_malformed_request_fails_the_device, vsock_guest_connects_and_talks_to_a_unix_socket,
		vsock_refuses_unrouted_ports_and_bad_packets, NULL,
	};

	return one_case_suite("virtio devices", "fake driver", 0, mem_setup, mem_teardown, tests);
}

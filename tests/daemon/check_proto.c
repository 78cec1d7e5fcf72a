/* The wire protocol under abuse: garbage, truncated and oversized messages,
 * unknown procedures, keepalive. The daemon must survive and keep serving. */
#include <arpa/inet.h>
#include <check.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check_suite.h"
#include "common/harness.h"
#include "suites.h"

static struct vmmd_inst v;

static void setup(void)
{
	vmmd_fixture_up(&v);
}

static void teardown(void)
{
	vmmd_fixture_down(&v);
}

static int dial(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%.100s", v.sock);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

static void put32(uint8_t *p, uint32_t x)
{
	x = htonl(x);
	memcpy(p, &x, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t x;

	memcpy(&x, p, 4);
	return ntohl(x);
}

/* Sends a message with the given header fields and payload. */
static void send_msg(int fd, uint32_t prog, int proc, int type, uint32_t serial, const void *payload, size_t n)
{
	uint8_t buf[512];

	ck_assert_uint_le(n, sizeof buf - 28);
	put32(buf, (uint32_t)(28 + n));
	put32(buf + 4, prog);
	put32(buf + 8, 1);
	put32(buf + 12, (uint32_t)proc);
	put32(buf + 16, (uint32_t)type);
	put32(buf + 20, serial);
	put32(buf + 24, 0);
	if (n)
		memcpy(buf + 28, payload, n);
	ck_assert_int_eq(write(fd, buf, 28 + n), (ssize_t)(28 + n));
}

/* Reads one message (up to size bytes); returns its length, 0 on EOF/timeout. */
static size_t recv_msg(int fd, uint8_t *buf, size_t size)
{
	size_t got = 0, need = 4;

	while (got < need) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, 5000) != 1)
			return 0;
		r = read(fd, buf + got, need - got);
		if (r <= 0)
			return 0;
		got += (size_t)r;
		if (got == 4) {
			need = get32(buf);
			ck_assert_uint_le(need, size);
		}
	}
	return got;
}

#define REMOTE 0x20008086u

static void assert_daemon_serves(void)
{
	char out[512];

	ck_assert_int_eq(virsh(&v, out, sizeof out, "hostname"), 0);
}

START_TEST(unknown_procedure_keeps_connection)
{
	int fd = dial();
	uint8_t buf[4096];
	size_t n;

	send_msg(fd, REMOTE, 9999, 0, 7, NULL, 0);
	n = recv_msg(fd, buf, sizeof buf);
	ck_assert_uint_gt(n, 28);
	ck_assert_uint_eq(get32(buf + 12), 9999);
	ck_assert_uint_eq(get32(buf + 16), 1); /* reply */
	ck_assert_uint_eq(get32(buf + 20), 7); /* serial */
	ck_assert_uint_eq(get32(buf + 24), 1); /* error */
	ck_assert_uint_eq(get32(buf + 28), 39); /* VIR_ERR_RPC: the client maps it to NO_SUPPORT */
	ck_assert(memmem(buf, n, "unknown procedure: 9999", 23) != NULL);
	/* keepalive still answered, and calls still served */
	send_msg(fd, 0x6b656570u, 1, 2, 0, NULL, 0);
	n = recv_msg(fd, buf, sizeof buf);
	ck_assert_uint_eq(n, 28);
	ck_assert_uint_eq(get32(buf + 12), 2); /* PONG */
	send_msg(fd, REMOTE, 66, 0, 8, NULL, 0); /* AUTH_LIST */
	n = recv_msg(fd, buf, sizeof buf);
	ck_assert_uint_eq(n, 36);
	ck_assert_uint_eq(get32(buf + 24), 0);
	/* before CONNECT_OPEN, other calls are refused */
	send_msg(fd, REMOTE, 3, 0, 9, NULL, 0);
	n = recv_msg(fd, buf, sizeof buf);
	ck_assert(memmem(buf, n, "connection not open", 19) != NULL);
	close(fd);
	assert_daemon_serves();
}
END_TEST

START_TEST(malformed_payload_gets_error)
{
	int fd = dial();
	uint8_t buf[4096], open_args[8] = { 0 }, bad[8];
	size_t n;

	send_msg(fd, REMOTE, 1, 0, 0, open_args, 8); /* CONNECT_OPEN(NULL, 0) */
	n = recv_msg(fd, buf, sizeof buf);
	ck_assert_uint_eq(get32(buf + 24), 0);
	put32(bad, 0xfffffff0u); /* a string claiming ~4 GiB */
	put32(bad + 4, 0);
	send_msg(fd, REMOTE, 23, 0, 1, bad, 8); /* LOOKUP_BY_NAME */
	n = recv_msg(fd, buf, sizeof buf);
	ck_assert_uint_gt(n, 28);
	ck_assert_uint_eq(get32(buf + 24), 1);
	ck_assert(memmem(buf, n, "Unable to decode", 16) != NULL);
	send_msg(fd, REMOTE, 23, 0, 2, bad, 3); /* truncated payload */
	n = recv_msg(fd, buf, sizeof buf);
	ck_assert_uint_eq(get32(buf + 24), 1);
	close(fd);
	assert_daemon_serves();
}
END_TEST

START_TEST(garbage_truncated_oversized)
{
	uint8_t junk[2048], buf[64];
	int fd, other = dial();

	/* garbage */
	srand(42);
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)rand();
	fd = dial();
	ck_assert_int_gt(write(fd, junk, sizeof junk), 0);
	ck_assert_uint_eq(recv_msg(fd, buf, sizeof buf), 0); /* dropped */
	close(fd);
	/* oversized length word */
	fd = dial();
	put32(junk, 0x7fffffffu);
	ck_assert_int_eq(write(fd, junk, 64), 64);
	ck_assert_uint_eq(recv_msg(fd, buf, sizeof buf), 0);
	close(fd);
	/* length below the header size */
	fd = dial();
	put32(junk, 8);
	ck_assert_int_eq(write(fd, junk, 8), 8);
	ck_assert_uint_eq(recv_msg(fd, buf, sizeof buf), 0);
	close(fd);
	/* truncated: announces 32 MiB, sends a little, hangs up */
	fd = dial();
	put32(junk, 32u << 20);
	ck_assert_int_eq(write(fd, junk, 1000), 1000);
	close(fd);
	/* the bystander connection and new clients are unaffected */
	send_msg(other, 0x6b656570u, 1, 2, 0, NULL, 0);
	ck_assert_uint_eq(recv_msg(other, buf, sizeof buf), 28);
	close(other);
	assert_daemon_serves();
}
END_TEST

Suite *proto_suite(void)
{
	const TTest *const tests[] = {
		unknown_procedure_keeps_connection, malformed_payload_gets_error, garbage_truncated_oversized, NULL,
	};

	return one_case_suite("protocol", "abuse", 60, setup, teardown, tests);
}

#include "kvm/kvm_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* A vCPU's stats file is a few KiB (about 60 descriptors); anything far
 * larger is not a file this parser understands. */
#define STATS_FILE_MAX (256u << 10)

static int fits(size_t len, uint64_t off, uint64_t n)
{
	return off <= len && n <= len - off;
}

int kvm_stats_parse(const uint8_t *buf, size_t len, struct kvm_stats *out, struct err *e)
{
	struct kvm_stats_header h;
	uint64_t desc_size;

	out->n = 0;
	if (len < sizeof h)
		return err_set(e, "KVM stats: %zu bytes, shorter than the header", len);
	memcpy(&h, buf, sizeof h);
	if (h.name_size == 0 || h.name_size > 4096)
		return err_set(e, "KVM stats: name size %u out of range", h.name_size);
	desc_size = sizeof(struct kvm_stats_desc) + (uint64_t)h.name_size;
	if (!fits(len, h.desc_offset, desc_size * h.num_desc))
		return err_set(e, "KVM stats: %u descriptors at %u do not fit in %zu bytes", h.num_desc, h.desc_offset,
			       len);
	if (h.data_offset > len)
		return err_set(e, "KVM stats: data offset %u past the end (%zu bytes)", h.data_offset, len);
	for (uint32_t i = 0; i < h.num_desc; i++) {
		const uint8_t *p = buf + h.desc_offset + desc_size * i;
		const char *name = (const char *)p + sizeof(struct kvm_stats_desc);
		struct kvm_stats_desc d;
		size_t name_len = strnlen(name, h.name_size);
		uint64_t value;

		memcpy(&d, p, sizeof d);
		if (name_len == h.name_size)
			return err_set(e, "KVM stats: descriptor %u has an unterminated name", i);
		if (!fits(len - h.data_offset, d.offset, (uint64_t)d.size * sizeof(uint64_t)))
			return err_set(e, "KVM stats: '%s' data (%u values at %u) past the end", name, d.size,
				       d.offset);
		if ((d.flags & KVM_STATS_TYPE_MASK) != KVM_STATS_TYPE_CUMULATIVE || d.size != 1 ||
		    name_len >= KVM_STATS_NAME_MAX || out->n == KVM_STATS_MAX)
			continue;
		memcpy(&value, buf + h.data_offset + d.offset, sizeof value);
		memcpy(out->s[out->n].name, name, name_len + 1);
		out->s[out->n].value = value;
		out->n++;
	}
	return 0;
}

int kvm_stats_open(int kvm_obj_fd, struct err *e)
{
	int fd = ioctl(kvm_obj_fd, KVM_GET_STATS_FD, 0);

	if (fd < 0)
		return err_errno(e, "this host's KVM has no binary statistics (KVM_GET_STATS_FD, Linux 5.14)");
	return fd;
}

int kvm_stats_read(int stats_fd, struct kvm_stats *out, struct err *e)
{
	uint8_t *buf = malloc(STATS_FILE_MAX);
	size_t len = 0;
	int rc;

	if (!buf)
		return err_set(e, "KVM stats: out of memory");
	while (len < STATS_FILE_MAX) {
		ssize_t n = pread(stats_fd, buf + len, STATS_FILE_MAX - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return err_errno(e, "reading KVM stats");
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	rc = kvm_stats_parse(buf, len, out, e);
	free(buf);
	return rc;
}

uint64_t kvm_stats_get(const struct kvm_stats *st, const char *name)
{
	for (unsigned i = 0; i < st->n; i++)
		if (strcmp(st->s[i].name, name) == 0)
			return st->s[i].value;
	return 0;
}

static int is_exit_counter(const char *name)
{
	static const char *const extra[] = { "halt_wakeup", "irq_injections", "insn_emulation", "hypercalls" };
	size_t n = strlen(name);

	if (n > 6 && strcmp(name + n - 6, "_exits") == 0)
		return 1;
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
		if (strcmp(name, extra[i]) == 0)
			return 1;
	return 0;
}

size_t kvm_stats_format_exits(const struct kvm_stats *st, char *buf, size_t size)
{
	size_t used = 0;
	int n;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	n = snprintf(buf, size, "exits=%llu", (unsigned long long)kvm_stats_get(st, "exits"));
	used = n < 0 ? 0 : (size_t)n;
	for (unsigned i = 0; i < st->n && used < size - 1; i++) {
		if (st->s[i].value == 0 || !is_exit_counter(st->s[i].name))
			continue;
		n = snprintf(buf + used, size - used, " %s=%llu", st->s[i].name, (unsigned long long)st->s[i].value);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return used < size ? used : size - 1;
}

/* KVM's binary statistics (KVM_GET_STATS_FD, Linux 5.14+): the kernel's own
 * count of a vCPU's exits, including the many it handles without returning
 * to vmm (halts, interrupt windows, external interrupts, page faults), which
 * is what "count exits" has to mean on a host where each costs 6-16 us. */
#ifndef VMM_KVM_KVM_STATS_H
#define VMM_KVM_KVM_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define KVM_STATS_MAX      128
#define KVM_STATS_NAME_MAX 48

struct kvm_stat {
	char name[KVM_STATS_NAME_MAX];
	uint64_t value;
};

/* The cumulative single-valued counters of one stats file, in its order. */
struct kvm_stats {
	unsigned n;
	struct kvm_stat s[KVM_STATS_MAX];
};

/* Parses a stats file image of len bytes (header, descriptors with their
 * names, data block), keeping the cumulative counters that are one u64 each;
 * longer names and counters past KVM_STATS_MAX are skipped. Every offset and
 * size in buf is checked: -1 with e when they do not fit. */
int kvm_stats_parse(const uint8_t *buf, size_t len, struct kvm_stats *out, struct err *e);

/* Opens the stats file of a vCPU (or VM) fd: -1 with e on kernels without it. */
int kvm_stats_open(int kvm_obj_fd, struct err *e);
/* Reads and parses the whole stats file. */
int kvm_stats_read(int stats_fd, struct kvm_stats *out, struct err *e);

/* The value of a counter, 0 when this kernel has no such counter. */
uint64_t kvm_stats_get(const struct kvm_stats *st, const char *name);

/* Formats "exits=N" and then every non-zero counter about exits, halts and
 * injected events as NAME=VALUE separated by spaces. Returns the length
 * (truncated to size - 1 like snprintf). */
size_t kvm_stats_format_exits(const struct kvm_stats *st, char *buf, size_t size);

#endif

/* The KVM statistics parser against arbitrary files: it must refuse or read
 * them without touching memory outside the buffer. */
#include <stddef.h>
#include <stdint.h>

#include "kvm/kvm_stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kvm_stats st;
	struct err e;
	char line[512];

	if (kvm_stats_parse(data, size, &st, &e) == 0)
		kvm_stats_format_exits(&st, line, sizeof line);
	return 0;
}

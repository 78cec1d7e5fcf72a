#include "kvm/cpuid.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define CPUID_HYPERVISOR (1u << 31) /* leaf 1, ECX */
#define CPUID_HTT        (1u << 28) /* leaf 1, EDX */

int cpuid_supported(int kvm_fd, struct cpuid_table *t, struct err *e)
{
	memset(t, 0, sizeof *t);
	t->h.nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, &t->h) < 0)
		return err_errno(e, "KVM_GET_SUPPORTED_CPUID");
	return 0;
}

int cpuid_apply(const struct cpuid_table *base, int vcpu_fd, unsigned index, unsigned ncpus, struct err *e)
{
	struct cpuid_table *t = malloc(sizeof *t);
	int rc = 0;

	if (!t)
		return err_set(e, "out of memory");
	memcpy(t, base, sizeof t->h + base->h.nent * sizeof t->e[0]); /* not the unused rest */
	for (unsigned i = 0; i < t->h.nent; i++) {
		struct kvm_cpuid_entry2 *c = &t->e[i];

		switch (c->function) {
		case 1:
			c->ecx |= CPUID_HYPERVISOR;
			c->ebx = (c->ebx & 0x0000ffffu) | (index << 24) | ((ncpus & 0xff) << 16);
			if (ncpus > 1)
				c->edx |= CPUID_HTT;
			break;
		case 0xb:
		case 0x1f:
			c->edx = index; /* x2APIC ID */
			break;
		default:
			break;
		}
	}
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, &t->h) < 0)
		rc = err_errno(e, "KVM_SET_CPUID2 on vCPU %u", index);
	free(t);
	return rc;
}

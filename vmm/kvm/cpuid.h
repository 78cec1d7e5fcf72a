/* The CPUID a vCPU sees: what KVM supports, with the hypervisor bit and
 * this vCPU's APIC ID filled in. (Nested hosts may ignore it; hardware KVM
 * honours it.) */
#ifndef VMM_KVM_CPUID_H
#define VMM_KVM_CPUID_H

#include <linux/kvm.h>

#include "util/err.h"

#define CPUID_MAX_ENTRIES 256

struct cpuid_table {
	struct kvm_cpuid2 h;
	struct kvm_cpuid_entry2 e[CPUID_MAX_ENTRIES];
};

int cpuid_supported(int kvm_fd, struct cpuid_table *t, struct err *e);
/* Copies base, patches it for vCPU index of ncpus, and sets it on vcpu_fd. */
int cpuid_apply(const struct cpuid_table *base, int vcpu_fd, unsigned index, unsigned ncpus, struct err *e);

#endif

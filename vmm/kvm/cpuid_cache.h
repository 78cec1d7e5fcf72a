/* KVM's supported CPUID kept in a file between runs. On a nested host (a
 * PVM host is one) every CPUID instruction the kernel executes to answer
 * KVM_GET_SUPPORTED_CPUID traps to the outer hypervisor: 0.35-0.4 ms of
 * every cold start, for a table that only changes when KVM does. The file
 * is trusted only when it and its directory belong to us and nobody else
 * may write them, and when it names this boot (boot_id) and this /dev/kvm
 * (device, inode and change time: loading KVM again makes a new node);
 * anything else is fetched again and the file rewritten (atomically).
 * Where the file cannot be used at all (no such directory, read-only, a
 * jailed reboot) the table is simply fetched. */
#ifndef VMM_KVM_CPUID_CACHE_H
#define VMM_KVM_CPUID_CACHE_H

#include "kvm/cpuid.h"
#include "util/err.h"

/* Fills t from path when it holds a valid table for kvm_fd, else from KVM
 * (and then rewrites path). path NULL: KVM only. Fails only when KVM does. */
int cpuid_supported_cached(int kvm_fd, const char *path, struct cpuid_table *t, struct err *e);

#endif

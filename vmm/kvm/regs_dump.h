/* One screen of vCPU state for crash reports. */
#ifndef VMM_KVM_REGS_DUMP_H
#define VMM_KVM_REGS_DUMP_H

#include <stddef.h>

/* Writes a textual dump of the vCPU's registers into buf. */
void regs_dump(int vcpu_fd, char *buf, size_t len);

#endif

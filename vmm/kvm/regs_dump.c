#include "kvm/regs_dump.h"

#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>

struct out {
	char *buf;
	size_t len, used;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->used >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

static void seg(struct out *o, const char *name, const struct kvm_segment *s)
{
	put(o, "%-3s %04x base %016llx limit %08x type %x dpl %u %s%s%s\n", name, s->selector,
	    (unsigned long long)s->base, s->limit, s->type, s->dpl, s->present ? "P" : "-",
	    s->l ? " L" : "", s->db ? " D" : "");
}

void regs_dump(int fd, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	struct kvm_regs r;
	struct kvm_sregs s;

	buf[0] = '\0';
	if (ioctl(fd, KVM_GET_REGS, &r) < 0 || ioctl(fd, KVM_GET_SREGS, &s) < 0) {
		put(&o, "(registers unavailable)\n");
		return;
	}
	put(&o, "rip %016llx rflags %016llx\n", r.rip, r.rflags);
	put(&o, "rax %016llx rbx %016llx rcx %016llx rdx %016llx\n", r.rax, r.rbx, r.rcx, r.rdx);
	put(&o, "rsi %016llx rdi %016llx rsp %016llx rbp %016llx\n", r.rsi, r.rdi, r.rsp, r.rbp);
	put(&o, "r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n", r.r8, r.r9, r.r10, r.r11);
	put(&o, "r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n", r.r12, r.r13, r.r14, r.r15);
	put(&o, "cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx\n", s.cr0, s.cr2, s.cr3, s.cr4);
	put(&o, "efer %016llx apic_base %016llx\n", s.efer, s.apic_base);
	seg(&o, "cs", &s.cs);
	seg(&o, "ss", &s.ss);
	seg(&o, "ds", &s.ds);
	seg(&o, "tr", &s.tr);
	put(&o, "gdt base %016llx limit %04x  idt base %016llx limit %04x\n", (unsigned long long)s.gdt.base,
	    s.gdt.limit, (unsigned long long)s.idt.base, s.idt.limit);
}

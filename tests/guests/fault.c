/* Triple-faults on purpose: an invalid opcode with an empty IDT. */
#include "lib/guest.h"

int guest_main(struct hvm_start_info *si)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = { 0, 0 };

	(void)si;
	puts_serial("fault: about to triple-fault\n");
	__asm__ volatile("lidt %0; ud2" : : "m"(empty));
	return 1;
}

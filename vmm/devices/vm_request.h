/* How platform devices ask the VMM to end or restart the machine. */
#ifndef VMM_DEVICES_VM_REQUEST_H
#define VMM_DEVICES_VM_REQUEST_H

enum vm_request {
	VM_REQ_POWEROFF, /* code: the guest's exit code */
	VM_REQ_RESET,
};

struct vm_requester {
	void (*fn)(void *opaque, enum vm_request req, int code);
	void *opaque;
};

#endif

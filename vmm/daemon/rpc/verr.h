/* libvirt-style errors (virErrorNumber + message) and their wire form,
 * remote_error. Handlers fill a verr; the dispatcher encodes it once. */
#ifndef VMM_DAEMON_RPC_VERR_H
#define VMM_DAEMON_RPC_VERR_H

#include "daemon/rpc/xdr.h"

enum verr_code {
	VERR_OK = 0,
	VERR_INTERNAL_ERROR = 1,
	VERR_NO_SUPPORT = 3,
	VERR_NO_CONNECT = 5,
	VERR_OPERATION_DENIED = 6,
	VERR_INVALID_ARG = 8,
	VERR_OPERATION_FAILED = 9,
	VERR_XML_ERROR = 27,
	VERR_DOM_EXIST = 28,
	VERR_SYSTEM_ERROR = 38,
	VERR_RPC = 39,
	VERR_NO_DOMAIN = 42,
	VERR_OPERATION_INVALID = 55,
	VERR_CONFIG_UNSUPPORTED = 67,
	VERR_OPERATION_UNSUPPORTED = 84,
};

enum verr_domain {
	VERR_FROM_RPC = 7,
	VERR_FROM_DOMAIN = 20,
};

struct verr {
	int code;
	int domain;
	char msg[1024];    /* the complete text virsh prints */
};

/* Sets code and the message "<libvirt's prefix for code>: <detail>" (or the
 * prefix alone for an empty format). Returns -1. */
int verr_set(struct verr *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The reply to a procedure vmmd does not serve: what libvirtd answers when
 * its driver lacks the API (VIR_ERR_NO_SUPPORT, "this function is not
 * supported by the connection driver: virDomainGetVcpus"), or, for a number
 * that is no call of the protocol, its "unknown procedure: N". */
int verr_unknown_proc(struct verr *e, int proc);
/* Appends remote_error. */
void verr_encode(const struct verr *e, struct xdr_out *out);

#endif

/* The procedures of libvirt's remote program that vmmd serves: numbers,
 * argument layouts (as a tiny format string) and access rules, plus a
 * generic, bounds-checked decoder for those arguments. */
#ifndef VMM_DAEMON_RPC_PROCS_H
#define VMM_DAEMON_RPC_PROCS_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/rpc/xdr.h"

enum remote_proc {
	PROC_CONNECT_OPEN = 1,
	PROC_CONNECT_CLOSE = 2,
	PROC_CONNECT_GET_TYPE = 3,
	PROC_CONNECT_GET_VERSION = 4,
	PROC_NODE_GET_INFO = 6,
	PROC_CONNECT_GET_CAPABILITIES = 7,
	PROC_DOMAIN_CREATE = 9,
	PROC_DOMAIN_CREATE_XML = 10,
	PROC_DOMAIN_DEFINE_XML = 11,
	PROC_DOMAIN_DESTROY = 12,
	PROC_DOMAIN_GET_XML_DESC = 14,
	PROC_DOMAIN_GET_AUTOSTART = 15,
	PROC_DOMAIN_GET_INFO = 16,
	PROC_DOMAIN_GET_OS_TYPE = 19,
	PROC_CONNECT_LIST_DEFINED_DOMAINS = 21,
	PROC_DOMAIN_LOOKUP_BY_ID = 22,
	PROC_DOMAIN_LOOKUP_BY_NAME = 23,
	PROC_DOMAIN_LOOKUP_BY_UUID = 24,
	PROC_CONNECT_NUM_OF_DEFINED_DOMAINS = 25,
	PROC_DOMAIN_REBOOT = 27,
	PROC_DOMAIN_RESUME = 28,
	PROC_DOMAIN_SET_AUTOSTART = 29,
	PROC_DOMAIN_SHUTDOWN = 33,
	PROC_DOMAIN_SUSPEND = 34,
	PROC_DOMAIN_UNDEFINE = 35,
	PROC_CONNECT_LIST_DOMAINS = 37,
	PROC_CONNECT_NUM_OF_DOMAINS = 51,
	PROC_DOMAIN_GET_SCHEDULER_TYPE = 56,
	PROC_DOMAIN_GET_SCHEDULER_PARAMETERS = 57,
	PROC_CONNECT_GET_HOSTNAME = 59,
	PROC_CONNECT_SUPPORTS_FEATURE = 60,
	PROC_AUTH_LIST = 66,
	PROC_CONNECT_GET_URI = 110,
	PROC_DOMAIN_GET_SECURITY_LABEL = 121,
	PROC_NODE_GET_SECURITY_MODEL = 122,
	PROC_DOMAIN_IS_ACTIVE = 150,
	PROC_DOMAIN_IS_PERSISTENT = 151,
	PROC_CONNECT_GET_LIB_VERSION = 157,
	PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE = 183,
	PROC_DOMAIN_SNAPSHOT_NUM = 187,
	PROC_DOMAIN_CREATE_WITH_FLAGS = 196,
	PROC_DOMAIN_GET_MEMORY_PARAMETERS = 198,
	PROC_DOMAIN_OPEN_CONSOLE = 201,
	PROC_DOMAIN_GET_STATE = 212,
	PROC_DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS = 223,
	PROC_DOMAIN_UNDEFINE_FLAGS = 231,
	PROC_DOMAIN_DESTROY_FLAGS = 234,
	PROC_DOMAIN_SHUTDOWN_FLAGS = 258,
	PROC_CONNECT_LIST_ALL_DOMAINS = 273,
	PROC_CONNECT_GET_DOMAIN_CAPABILITIES = 342,
	PROC_DOMAIN_DEFINE_XML_FLAGS = 350,
	PROC_DOMAIN_INTERFACE_ADDRESSES = 353,
	PROC_CONNECT_REGISTER_CLOSE_CALLBACK = 360,
	PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK = 361,
	PROC_DOMAIN_GET_MESSAGES = 426,
};

enum proc_flags {
	PROC_BEFORE_OPEN = 1 << 0, /* may be called before CONNECT_OPEN */
	PROC_CHANGES_STATE = 1 << 1, /* refused on read-only connections */
};

struct proc_info {
	int num;
	const char *name; /* libvirt API name, for error messages */
	const char *args; /* D domain, s string, S optional string (at most 4 strings), u/i 32-bit, U uuid */
	unsigned flags;
};

/* Domain names arriving in DOM arguments are bounded by this. */
#define RPC_NAME_MAX 4096u

struct rpc_dom {
	char *name;
	uint8_t uuid[16];
	int32_t id;
};

struct rpc_args {
	bool has_dom;
	struct rpc_dom dom;
	char *str[4];
	uint32_t num[3];
	uint8_t uuid[16];
};

const struct proc_info *proc_lookup(int num);
/* The libvirt API a procedure of the remote program stands for
 * ("virDomainGetVcpus"), NULL for numbers that are no call (events,
 * authentication steps) or unknown (proc_names.c). */
const char *proc_api_name(int num);
/* Decodes a whole payload per info->args; -1 if malformed or trailing bytes. */
int rpc_args_decode(const struct proc_info *info, const void *payload, size_t len, struct rpc_args *a);
void rpc_args_free(struct rpc_args *a);

#endif

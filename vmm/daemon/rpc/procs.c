#include "daemon/rpc/procs.h"

#include <stdlib.h>
#include <string.h>

#define W PROC_CHANGES_STATE
#define B PROC_BEFORE_OPEN

static const struct proc_info procs[] = {
	{ PROC_CONNECT_OPEN, "virConnectOpen", "Su", B },
	{ PROC_CONNECT_CLOSE, "virConnectClose", "", B },
	{ PROC_CONNECT_GET_TYPE, "virConnectGetType", "", 0 },
	{ PROC_CONNECT_GET_VERSION, "virConnectGetVersion", "", 0 },
	{ PROC_NODE_GET_INFO, "virNodeGetInfo", "", 0 },
	{ PROC_CONNECT_GET_CAPABILITIES, "virConnectGetCapabilities", "", 0 },
	{ PROC_DOMAIN_CREATE, "virDomainCreate", "D", W },
	{ PROC_DOMAIN_CREATE_XML, "virDomainCreateXML", "su", W },
	{ PROC_DOMAIN_DEFINE_XML, "virDomainDefineXML", "s", W },
	{ PROC_DOMAIN_DESTROY, "virDomainDestroy", "D", W },
	{ PROC_DOMAIN_GET_XML_DESC, "virDomainGetXMLDesc", "Du", 0 },
	{ PROC_DOMAIN_GET_AUTOSTART, "virDomainGetAutostart", "D", 0 },
	{ PROC_DOMAIN_GET_INFO, "virDomainGetInfo", "D", 0 },
	{ PROC_DOMAIN_GET_OS_TYPE, "virDomainGetOSType", "D", 0 },
	{ PROC_CONNECT_LIST_DEFINED_DOMAINS, "virConnectListDefinedDomains", "i", 0 },
	{ PROC_DOMAIN_LOOKUP_BY_ID, "virDomainLookupByID", "i", 0 },
	{ PROC_DOMAIN_LOOKUP_BY_NAME, "virDomainLookupByName", "s", 0 },
	{ PROC_DOMAIN_LOOKUP_BY_UUID, "virDomainLookupByUUID", "U", 0 },
	{ PROC_CONNECT_NUM_OF_DEFINED_DOMAINS, "virConnectNumOfDefinedDomains", "", 0 },
	{ PROC_DOMAIN_REBOOT, "virDomainReboot", "Du", W },
	{ PROC_DOMAIN_RESUME, "virDomainResume", "D", W },
	{ PROC_DOMAIN_SET_AUTOSTART, "virDomainSetAutostart", "Di", W },
	{ PROC_DOMAIN_SHUTDOWN, "virDomainShutdown", "D", W },
	{ PROC_DOMAIN_SUSPEND, "virDomainSuspend", "D", W },
	{ PROC_DOMAIN_UNDEFINE, "virDomainUndefine", "D", W },
	{ PROC_CONNECT_LIST_DOMAINS, "virConnectListDomains", "i", 0 },
	{ PROC_CONNECT_NUM_OF_DOMAINS, "virConnectNumOfDomains", "", 0 },
	{ PROC_DOMAIN_GET_SCHEDULER_TYPE, "virDomainGetSchedulerType", "D", 0 },
	{ PROC_DOMAIN_GET_SCHEDULER_PARAMETERS, "virDomainGetSchedulerParameters", "Di", 0 },
	{ PROC_CONNECT_GET_HOSTNAME, "virConnectGetHostname", "", 0 },
	{ PROC_CONNECT_SUPPORTS_FEATURE, "virConnectSupportsFeature", "i", B },
	{ PROC_AUTH_LIST, "virConnectAuthList", "", B },
	{ PROC_CONNECT_GET_URI, "virConnectGetURI", "", 0 },
	{ PROC_DOMAIN_GET_SECURITY_LABEL, "virDomainGetSecurityLabel", "D", 0 },
	{ PROC_NODE_GET_SECURITY_MODEL, "virNodeGetSecurityModel", "", 0 },
	{ PROC_DOMAIN_IS_ACTIVE, "virDomainIsActive", "D", 0 },
	{ PROC_DOMAIN_IS_PERSISTENT, "virDomainIsPersistent", "D", 0 },
	{ PROC_CONNECT_GET_LIB_VERSION, "virConnectGetLibVersion", "", 0 },
	{ PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, "virDomainHasManagedSaveImage", "Du", 0 },
	{ PROC_DOMAIN_SNAPSHOT_NUM, "virDomainSnapshotNum", "Du", 0 },
	{ PROC_DOMAIN_CREATE_WITH_FLAGS, "virDomainCreateWithFlags", "Du", W },
	{ PROC_DOMAIN_GET_MEMORY_PARAMETERS, "virDomainGetMemoryParameters", "Diu", 0 },
	{ PROC_DOMAIN_OPEN_CONSOLE, "virDomainOpenConsole", "DSu", W },
	{ PROC_DOMAIN_GET_STATE, "virDomainGetState", "Du", 0 },
	{ PROC_DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS, "virDomainGetSchedulerParametersFlags", "Diu", 0 },
	{ PROC_DOMAIN_UNDEFINE_FLAGS, "virDomainUndefineFlags", "Du", W },
	{ PROC_DOMAIN_DESTROY_FLAGS, "virDomainDestroyFlags", "Du", W },
	{ PROC_DOMAIN_SHUTDOWN_FLAGS, "virDomainShutdownFlags", "Du", W },
	{ PROC_CONNECT_LIST_ALL_DOMAINS, "virConnectListAllDomains", "iu", 0 },
	{ PROC_CONNECT_GET_DOMAIN_CAPABILITIES, "virConnectGetDomainCapabilities", "SSSSu", 0 },
	{ PROC_DOMAIN_DEFINE_XML_FLAGS, "virDomainDefineXMLFlags", "su", W },
	{ PROC_DOMAIN_INTERFACE_ADDRESSES, "virDomainInterfaceAddresses", "Duu", 0 },
	{ PROC_CONNECT_REGISTER_CLOSE_CALLBACK, "virConnectRegisterCloseCallback", "", 0 },
	{ PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK, "virConnectUnregisterCloseCallback", "", 0 },
	{ PROC_DOMAIN_GET_MESSAGES, "virDomainGetMessages", "Du", 0 },
};

const struct proc_info *proc_lookup(int num)
{
	for (size_t i = 0; i < sizeof procs / sizeof procs[0]; i++)
		if (procs[i].num == num)
			return &procs[i];
	return NULL;
}

int rpc_args_decode(const struct proc_info *info, const void *payload, size_t len, struct rpc_args *a)
{
	struct xdr_in x;
	unsigned ns = 0, nn = 0;

	memset(a, 0, sizeof *a);
	xdr_in_init(&x, payload, len);
	for (const char *f = info->args; *f && !x.bad; f++) {
		switch (*f) {
		case 'D':
			a->has_dom = true;
			xdr_get_string(&x, RPC_NAME_MAX, &a->dom.name);
			xdr_get_opaque(&x, a->dom.uuid, 16);
			xdr_get_i32(&x, &a->dom.id);
			break;
		case 's':
		case 'S':
			if (ns == sizeof a->str / sizeof a->str[0]) {
				x.bad = true; /* a table entry with too many strings */
				break;
			}
			if (*f == 's')
				xdr_get_string(&x, XDR_STRING_MAX, &a->str[ns++]);
			else
				xdr_get_ostring(&x, XDR_STRING_MAX, &a->str[ns++]);
			break;
		case 'u':
		case 'i':
			xdr_get_u32(&x, &a->num[nn++]);
			break;
		case 'U':
			xdr_get_opaque(&x, a->uuid, 16);
			break;
		default:
			x.bad = true;
		}
	}
	if (!xdr_in_done(&x)) {
		rpc_args_free(a);
		return -1;
	}
	return 0;
}

void rpc_args_free(struct rpc_args *a)
{
	free(a->dom.name);
	for (size_t i = 0; i < sizeof a->str / sizeof a->str[0]; i++)
		free(a->str[i]);
	memset(a, 0, sizeof *a);
}

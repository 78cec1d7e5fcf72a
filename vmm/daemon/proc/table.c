#include <stddef.h>
#include <stdio.h>

#include "daemon/domain/config.h"
#include "daemon/proc/caps.h"
#include "daemon/proc/proc.h"

static const struct {
	int num;
	proc_fn fn;
} table[] = {
	{ PROC_CONNECT_OPEN, proc_connect_open },
	{ PROC_CONNECT_CLOSE, proc_connect_close },
	{ PROC_CONNECT_GET_TYPE, proc_get_type },
	{ PROC_CONNECT_GET_VERSION, proc_get_version },
	{ PROC_CONNECT_GET_LIB_VERSION, proc_get_lib_version },
	{ PROC_NODE_GET_INFO, proc_node_get_info },
	{ PROC_CONNECT_GET_CAPABILITIES, proc_get_capabilities },
	{ PROC_CONNECT_GET_DOMAIN_CAPABILITIES, proc_get_domain_capabilities },
	{ PROC_CONNECT_GET_HOSTNAME, proc_get_hostname },
	{ PROC_CONNECT_SUPPORTS_FEATURE, proc_supports_feature },
	{ PROC_AUTH_LIST, proc_auth_list },
	{ PROC_CONNECT_GET_URI, proc_get_uri },
	{ PROC_CONNECT_REGISTER_CLOSE_CALLBACK, proc_void },
	{ PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK, proc_void },
	{ PROC_NODE_GET_SECURITY_MODEL, proc_node_security_model },
	{ PROC_DOMAIN_LOOKUP_BY_ID, proc_lookup_by_id },
	{ PROC_DOMAIN_LOOKUP_BY_NAME, proc_lookup_by_name },
	{ PROC_DOMAIN_LOOKUP_BY_UUID, proc_lookup_by_uuid },
	{ PROC_CONNECT_LIST_ALL_DOMAINS, proc_list_all },
	{ PROC_CONNECT_NUM_OF_DOMAINS, proc_num_of_domains },
	{ PROC_CONNECT_LIST_DOMAINS, proc_list_domains },
	{ PROC_CONNECT_NUM_OF_DEFINED_DOMAINS, proc_num_of_defined },
	{ PROC_CONNECT_LIST_DEFINED_DOMAINS, proc_list_defined },
	{ PROC_DOMAIN_GET_INFO, proc_get_info },
	{ PROC_DOMAIN_GET_STATE, proc_get_state },
	{ PROC_DOMAIN_GET_XML_DESC, proc_get_xml_desc },
	{ PROC_DOMAIN_GET_OS_TYPE, proc_get_os_type },
	{ PROC_DOMAIN_GET_AUTOSTART, proc_get_autostart },
	{ PROC_DOMAIN_IS_ACTIVE, proc_is_active },
	{ PROC_DOMAIN_IS_PERSISTENT, proc_is_persistent },
	{ PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, proc_dom_zero },
	{ PROC_DOMAIN_SNAPSHOT_NUM, proc_dom_zero },
	{ PROC_DOMAIN_GET_SECURITY_LABEL, proc_security_label },
	{ PROC_DOMAIN_GET_MESSAGES, proc_get_messages },
	{ PROC_DOMAIN_INTERFACE_ADDRESSES, proc_interface_addresses },
	{ PROC_DOMAIN_GET_MEMORY_PARAMETERS, proc_get_memory_parameters },
	{ PROC_DOMAIN_GET_SCHEDULER_TYPE, proc_get_scheduler_type },
	{ PROC_DOMAIN_GET_SCHEDULER_PARAMETERS, proc_get_scheduler_parameters },
	{ PROC_DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS, proc_get_scheduler_parameters_flags },
	{ PROC_DOMAIN_DEFINE_XML, proc_define },
	{ PROC_DOMAIN_DEFINE_XML_FLAGS, proc_define_flags },
	{ PROC_DOMAIN_CREATE_XML, proc_create_xml },
	{ PROC_DOMAIN_CREATE, proc_create },
	{ PROC_DOMAIN_CREATE_WITH_FLAGS, proc_create_with_flags },
	{ PROC_DOMAIN_UNDEFINE, proc_undefine },
	{ PROC_DOMAIN_UNDEFINE_FLAGS, proc_undefine_flags },
	{ PROC_DOMAIN_SHUTDOWN, proc_shutdown },
	{ PROC_DOMAIN_SHUTDOWN_FLAGS, proc_shutdown_flags },
	{ PROC_DOMAIN_REBOOT, proc_reboot },
	{ PROC_DOMAIN_DESTROY, proc_destroy },
	{ PROC_DOMAIN_DESTROY_FLAGS, proc_destroy_flags },
	{ PROC_DOMAIN_SUSPEND, proc_suspend },
	{ PROC_DOMAIN_RESUME, proc_resume },
	{ PROC_DOMAIN_SET_AUTOSTART, proc_set_autostart },
	{ PROC_DOMAIN_OPEN_CONSOLE, proc_open_console },
};

proc_fn proc_handler(int num)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].num == num)
			return table[i].fn;
	return NULL;
}

void put_dom(struct xdr_out *out, const struct domain *d)
{
	xdr_put_string(out, dom_name(d));
	xdr_put_opaque(out, dom_uuid(d), 16);
	xdr_put_i32(out, dom_active(d) ? d->id : -1);
}

struct domain *find_dom(struct vmmd *m, const struct rpc_dom *dom, struct verr *e)
{
	struct domain *d = domains_by_uuid(&m->doms, dom->uuid);
	char uuid[37];

	if (d)
		return d;
	uuid_format(dom->uuid, uuid);
	verr_set(e, VERR_NO_DOMAIN, "no domain with matching uuid '%s' (%.200s)", uuid, dom->name);
	return NULL;
}

int check_flags(uint32_t flags, uint32_t allowed, const char *func, struct verr *e)
{
	if (flags & ~allowed)
		return verr_set(e, VERR_INVALID_ARG, "unsupported flags (0x%x) in function %s", flags & ~allowed, func);
	return 0;
}

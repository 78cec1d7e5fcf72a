/* Connection and host procedures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "daemon/proc/proc.h"

#define VIR_CONNECT_RO 1u
#define VIR_CONNECT_NO_ALIASES 2u
#define FEATURE_PROGRAM_KEEPALIVE 10
#define FEATURE_REMOTE_CLOSE_CALLBACK 15
#define LIBVIRT_PROTOCOL_VERSION 9000000ull /* we speak libvirt 9.0.0's protocol */

int proc_connect_open(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	const char *name = a->str[0];

	(void)out;
	if (check_flags(a->num[0], VIR_CONNECT_RO | VIR_CONNECT_NO_ALIASES, "virConnectOpen", e) < 0)
		return -1;
	if (name && *name && strncmp(name, "vmm:", 4) != 0)
		return verr_set(e, VERR_NO_CONNECT, "%.200s", name);
	if (a->num[0] & VIR_CONNECT_RO)
		c->conn->readonly = true;
	c->conn->opened = true;
	return 0;
}

int proc_connect_close(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	(void)a, (void)out, (void)e;
	c->conn->closing = true;
	return 0;
}

int proc_get_type(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	(void)c, (void)a, (void)e;
	xdr_put_string(out, "VMM");
	return 0;
}

static uint64_t version_number(const char *v)
{
	unsigned major = 0, minor = 0, micro = 0;

	sscanf(v, "%u.%u.%u", &major, &minor, &micro);
	return (uint64_t)major * 1000000 + (uint64_t)minor * 1000 + micro;
}

int proc_get_version(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	(void)c, (void)a, (void)e;
	xdr_put_u64(out, version_number(VMM_VERSION));
	return 0;
}

int proc_get_lib_version(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	(void)c, (void)a, (void)e;
	xdr_put_u64(out, LIBVIRT_PROTOCOL_VERSION);
	return 0;
}

static int cpu_mhz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];
	double mhz = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "cpu MHz : %lf", &mhz) == 1)
			break;
	fclose(f);
	return (int)mhz;
}

int proc_node_get_info(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct utsname u;
	struct sysinfo si;
	char model[32] = "";
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	(void)c, (void)a;
	if (uname(&u) == 0)
		snprintf(model, sizeof model, "%.31s", u.machine);
	if (sysinfo(&si) < 0)
		return verr_set(e, VERR_SYSTEM_ERROR, "cannot read the host's memory size");
	for (int i = 0; i < 32; i++)
		xdr_put_i32(out, model[i]); /* char model[32]: one int each */
	xdr_put_u64(out, (uint64_t)si.totalram * si.mem_unit / 1024);
	xdr_put_i32(out, (int32_t)(cpus > 0 ? cpus : 1));
	xdr_put_i32(out, cpu_mhz());
	xdr_put_i32(out, 1);                          /* NUMA nodes */
	xdr_put_i32(out, 1);                          /* sockets per node */
	xdr_put_i32(out, (int32_t)(cpus > 0 ? cpus : 1)); /* cores per socket */
	xdr_put_i32(out, 1);                          /* threads per core */
	return 0;
}

int proc_get_hostname(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	char host[256];

	(void)c, (void)a;
	if (gethostname(host, sizeof host) < 0)
		return verr_set(e, VERR_SYSTEM_ERROR, "cannot get the host name");
	host[sizeof host - 1] = 0;
	xdr_put_string(out, host);
	return 0;
}

int proc_supports_feature(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	int32_t f = (int32_t)a->num[0];

	(void)c, (void)e;
	xdr_put_i32(out, f == FEATURE_PROGRAM_KEEPALIVE || f == FEATURE_REMOTE_CLOSE_CALLBACK);
	return 0;
}

int proc_auth_list(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	(void)c, (void)a, (void)e;
	xdr_put_u32(out, 1);
	xdr_put_i32(out, 0); /* REMOTE_AUTH_NONE */
	return 0;
}

int proc_get_uri(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	(void)a, (void)e;
	xdr_put_string(out, c->m->uri);
	return 0;
}

int proc_void(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	(void)c, (void)a, (void)out, (void)e;
	return 0;
}

int proc_node_security_model(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	(void)c, (void)a, (void)e;
	xdr_put_u32(out, 0); /* model: none */
	xdr_put_u32(out, 0); /* doi */
	return 0;
}

/* The limits of a domain's cgroup as libvirt's typed parameters: `virsh
 * memtune` (virDomainGetMemoryParameters) and `virsh schedinfo`
 * (virDomainGetSchedulerType, ...Parameters, ...ParametersFlags). Values in
 * force are reported, defaults included; setting them is not offered (the
 * domain's XML is where they are changed). */
#include "daemon/proc/proc.h"

enum { TP_LLONG = 3, TP_ULLONG = 4 };                  /* virTypedParameterType */
enum { AFFECT_LIVE = 1, AFFECT_CONFIG = 2, TP_STRING_OKAY = 4 };
#define MEMORY_UNLIMITED 9007199254740991ull           /* VIR_DOMAIN_MEMORY_PARAM_UNLIMITED, in KiB */

struct tparam {
	const char *field;
	int type;
	uint64_t v; /* an LLONG as its two's complement */
};

/* remote_typed_param params<>: at most max of them (the caller's nparams). */
static void put_params(struct xdr_out *out, const struct tparam *p, unsigned n, uint32_t max)
{
	if (n > max)
		n = max;
	xdr_put_u32(out, n);
	for (unsigned i = 0; i < n; i++) {
		xdr_put_string(out, p[i].field);
		xdr_put_i32(out, p[i].type);
		xdr_put_u64(out, p[i].v);
	}
}

/* The config the flags ask for: the persistent one for AFFECT_CONFIG, the
 * running one (else the persistent one) otherwise. */
static const struct domain_config *tune_config(const struct domain *d, uint32_t flags, struct verr *e)
{
	if ((flags & AFFECT_LIVE) && (flags & AFFECT_CONFIG))
		return verr_set(e, VERR_INVALID_ARG, "flags 'affect live' and 'affect config' are mutually exclusive"),
		       NULL;
	if ((flags & AFFECT_LIVE) && !dom_active(d))
		return verr_set(e, VERR_OPERATION_INVALID, "domain is not running"), NULL;
	if ((flags & AFFECT_CONFIG) && !d->def)
		return verr_set(e, VERR_OPERATION_INVALID, "cannot change persistent config of a transient domain"),
		       NULL;
	return flags & AFFECT_CONFIG ? d->def : dom_config(d);
}

int proc_get_memory_parameters(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);
	const struct domain_config *cfg;
	uint64_t hard, swap;

	if (!d || check_flags(a->num[1], AFFECT_LIVE | AFFECT_CONFIG | TP_STRING_OKAY, "virDomainGetMemoryParameters",
			      e) < 0 || !(cfg = tune_config(d, a->num[1], e)))
		return -1;
	/* without a memory cgroup nothing limits the VM, whatever its XML says */
	hard = c->m->cg.base[CG_MEMORY] ? domain_mem_limit_kib(cfg) : MEMORY_UNLIMITED;
	/* swap counts against the limit where vmmd can say so (v1 memsw, v2 swap.max 0) */
	swap = c->m->cg.memsw || c->m->cg.v2[CG_MEMORY] ? hard : MEMORY_UNLIMITED;
	{
		const struct tparam p[] = {
			{ "hard_limit", TP_ULLONG, hard },
			{ "soft_limit", TP_ULLONG, MEMORY_UNLIMITED },
			{ "swap_hard_limit", TP_ULLONG, swap },
		};
		const unsigned n = sizeof p / sizeof p[0];

		/* nparams 0 asks how many there are */
		put_params(out, p, a->num[0] ? n : 0, a->num[0]);
		xdr_put_i32(out, (int32_t)n);
	}
	return 0;
}

#define SCHED_NPARAMS 3

int proc_get_scheduler_type(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	if (!find_dom(c->m, &a->dom, e))
		return -1;
	xdr_put_string(out, "posix"); /* what libvirt's qemu driver calls the cgroup CPU controls */
	xdr_put_i32(out, SCHED_NPARAMS);
	return 0;
}

static int sched_params(struct call *c, const struct rpc_args *a, uint32_t flags, const char *func,
			struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);
	const struct domain_config *cfg;

	if (!d || check_flags(flags, AFFECT_LIVE | AFFECT_CONFIG | TP_STRING_OKAY, func, e) < 0 ||
	    !(cfg = tune_config(d, flags, e)))
		return -1;
	{
		const struct tparam p[SCHED_NPARAMS] = {
			{ "cpu_shares", TP_ULLONG, domain_cpu_shares(cfg) },
			{ "vcpu_period", TP_ULLONG, domain_cpu_period_us(cfg) },
			{ "vcpu_quota", TP_LLONG, (uint64_t)domain_cpu_quota_us(cfg) },
		};

		put_params(out, p, SCHED_NPARAMS, a->num[0]);
	}
	return 0;
}

int proc_get_scheduler_parameters(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	return sched_params(c, a, 0, "virDomainGetSchedulerParameters", out, e);
}

int proc_get_scheduler_parameters_flags(struct call *c, const struct rpc_args *a, struct xdr_out *out,
					struct verr *e)
{
	return sched_params(c, a, a->num[1], "virDomainGetSchedulerParametersFlags", out, e);
}

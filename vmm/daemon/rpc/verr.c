#include "daemon/rpc/verr.h"

#include <stdarg.h>
#include <stdio.h>

#include "daemon/rpc/procs.h"

static const char *prefix(int code)
{
	switch (code) {
	case VERR_INTERNAL_ERROR: return "internal error";
	case VERR_NO_SUPPORT: return "this function is not supported by the connection driver";
	case VERR_NO_CONNECT: return "no connection driver available for";
	case VERR_OPERATION_DENIED: return "operation forbidden";
	case VERR_INVALID_ARG: return "invalid argument";
	case VERR_OPERATION_FAILED: return "operation failed";
	case VERR_XML_ERROR: return "XML error";
	case VERR_SYSTEM_ERROR: return "";
	case VERR_RPC: return "";
	case VERR_NO_DOMAIN: return "Domain not found";
	case VERR_OPERATION_INVALID: return "Requested operation is not valid";
	case VERR_CONFIG_UNSUPPORTED: return "unsupported configuration";
	case VERR_OPERATION_UNSUPPORTED: return "Operation not supported";
	default: return "";
	}
}

int verr_set(struct verr *e, int code, const char *fmt, ...)
{
	char detail[900];
	const char *p = prefix(code);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	e->code = code;
	e->domain = code == VERR_RPC ? VERR_FROM_RPC : VERR_FROM_DOMAIN;
	if (code == VERR_DOM_EXIST)
		snprintf(e->msg, sizeof e->msg, "domain %s exists already", detail);
	else if (code == VERR_NO_CONNECT)
		snprintf(e->msg, sizeof e->msg, "%s %s", p, detail);
	else if (!*p)
		snprintf(e->msg, sizeof e->msg, "%s", detail);
	else if (!*detail)
		snprintf(e->msg, sizeof e->msg, "%s", p);
	else
		snprintf(e->msg, sizeof e->msg, "%s: %s", p, detail);
	return -1;
}

int verr_unknown_proc(struct verr *e, int proc)
{
	const char *api = proc_api_name(proc);

	/* libvirtd's driver lacks the function: the API's own error, which
	 * virsh prints as is; a number outside the protocol is the RPC
	 * layer's (the client turns that into NO_SUPPORT too) */
	if (api)
		return verr_set(e, VERR_NO_SUPPORT, "%s", api);
	return verr_set(e, VERR_RPC, "unknown procedure: %d", proc);
}

void verr_encode(const struct verr *e, struct xdr_out *out)
{
	xdr_put_i32(out, e->code);
	xdr_put_i32(out, e->domain);
	xdr_put_ostring(out, e->msg);
	xdr_put_i32(out, 2); /* VIR_ERR_ERROR */
	xdr_put_u32(out, 0); /* dom */
	xdr_put_u32(out, 0); /* str1 */
	xdr_put_u32(out, 0); /* str2 */
	xdr_put_u32(out, 0); /* str3 */
	xdr_put_i32(out, -1);
	xdr_put_i32(out, -1);
	xdr_put_u32(out, 0); /* net */
}

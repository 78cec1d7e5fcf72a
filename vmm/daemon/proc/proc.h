/* The procedure handlers, grouped by subject (connect.c, query.c,
 * lifecycle.c, console.c), and what they share. */
#ifndef VMM_DAEMON_PROC_PROC_H
#define VMM_DAEMON_PROC_PROC_H

#include "daemon/core/vmmd.h"
#include "daemon/rpc/msg.h"
#include "daemon/rpc/procs.h"
#include "daemon/rpc/verr.h"
#include "daemon/rpc/conn.h"

struct call {
	struct vmmd *m;
	struct conn *conn;
	const struct rpc_header *h;
};

/* A handler returns 0 (reply with out), -1 (error e), or PROC_DEFERRED: it
 * kept the call (core/waits.h) and its reply goes out from the loop later. */
#define PROC_DEFERRED 1

typedef int (*proc_fn)(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e);

/* The handler of a procedure, NULL if none. */
proc_fn proc_handler(int num);

/* Helpers for handlers. */
void put_dom(struct xdr_out *out, const struct domain *d);
struct domain *find_dom(struct vmmd *m, const struct rpc_dom *dom, struct verr *e);
int check_flags(uint32_t flags, uint32_t allowed, const char *func, struct verr *e);

/* connect.c */
int proc_connect_open(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_connect_close(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_type(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_version(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_lib_version(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_node_get_info(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_hostname(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_supports_feature(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_auth_list(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_uri(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_void(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_node_security_model(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);

/* query.c */
int proc_lookup_by_id(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_lookup_by_name(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_lookup_by_uuid(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_list_all(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_num_of_domains(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_list_domains(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_num_of_defined(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_list_defined(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_info(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_state(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_xml_desc(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_os_type(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_autostart(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_is_active(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_is_persistent(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_dom_zero(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_security_label(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_messages(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_interface_addresses(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);

/* tune.c */
int proc_get_memory_parameters(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_scheduler_type(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_scheduler_parameters(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_scheduler_parameters_flags(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);

/* lifecycle.c */
int proc_define(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_define_flags(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_create_xml(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_create(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_create_with_flags(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_undefine(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_undefine_flags(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_shutdown(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_shutdown_flags(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_reboot(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_destroy(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_destroy_flags(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_suspend(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_resume(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_set_autostart(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);

/* console.c */
int proc_open_console(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
/* A STREAM message from the client. */
void console_client_packet(struct vmmd *m, struct conn *c, const struct rpc_header *h, const uint8_t *data,
			   size_t len);
/* Console socket readable / writable. */
void console_pump(struct vmmd *m, struct conn *c, bool readable, bool writable);
/* Ends c's console session without telling the client (connection going). */
void console_detach(struct vmmd *m, struct conn *c);
/* Retries c's console connect if due (now: the loop's ms clock); returns
 * the ms until its next try, -1 if none is pending. */
int console_tick(struct vmmd *m, struct conn *c, int64_t now);

#endif

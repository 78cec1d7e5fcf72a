#include "daemon/core/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/core/cgroup_move.h"
#include "daemon/core/cleanup.h"
#include "daemon/core/front.h"
#include "daemon/core/sites.h"
#include "daemon/core/store.h"
#include "daemon/core/waits.h"
#include "daemon/domain/xml.h"
#include "daemon/rpc/stream.h"
#include "host/vsock_cid.h"

#define QUICK_RESTART_MS 2000
#define MAX_QUICK_RESTARTS 3
#define DESTROY_WAIT_MS 5000
#define REPORT_WAIT_MS 5000 /* for the vmm's move into its cgroups (cgroup_move.h) */
#define CID_AUTO_SPAN (1u << 24) /* auto CIDs: 3 .. 3 + 2^24 - 1 */
/* How long after a start its standby's successor is made: once that
 * start's guest has booted, so that the two do not compete for the CPUs
 * (a burst of starts gets none until it ends). */
#define STANDBY_DELAY_MS 200

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct domain_config *domain_config_dup(const struct domain_config *c)
{
	char *xml = domain_xml_format(c, -1);
	struct domain_config *copy;
	struct verr e;

	if (!xml)
		return NULL;
	copy = domain_xml_parse(xml, strlen(xml), &e);
	free(xml);
	return copy;
}

/* The last line(s) of the vmm's output, for start errors. */
static void log_tail(struct vmmd *m, const char *name, char *out, size_t size)
{
	char path[STORE_PATH_MAX];
	struct verr e;
	size_t len = 0;
	char *text;

	out[0] = 0;
	if (store_path(path, sizeof path, m->state_dir, "run", name, ".log", &e) < 0)
		return;
	text = store_read_file(path, 1 << 20, &len);
	if (!text)
		return;
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = 0;
	{
		char *start = len > size - 1 ? text + len - (size - 1) : text;
		char *nl = strrchr(start, '\n');

		if (nl && nl[1])
			start = nl + 1;
		snprintf(out, size, "%s", start);
	}
	free(text);
}

/* The VM's processes are gone: so goes its cgroup (a failure is only
 * logged: the group is empty, and the next start reuses it). */
static void remove_cgroup(struct vmmd *m, const struct domain *d)
{
	struct verr e;

	if (cgroup_vm_remove(&m->cg, dom_uuid(d), &e) < 0)
		fprintf(stderr, "vmmd: domain '%s': %s\n", dom_name(d), e.msg);
}

/* The instance a console stream shows has ended, and so does the stream
 * (rpc/stream.h): with an error when it crashed or failed (bad: which),
 * so that virsh console says why and exits 1, else with an end of file. */
static void end_console(struct domain *d, const char *bad, const char *why)
{
	struct conn *c = d->console;
	char msg[400];

	if (!c)
		return;
	d->console = NULL; /* a restarted instance may get a console of its own */
	snprintf(msg, sizeof msg, "End of file while reading data: domain '%s' %s: %s", dom_name(d), bad ? bad : "",
		 why);
	stream_end_set(c, bad ? msg : NULL);
	stream_end_send(c);
}

/* The domain is inactive now: forget the instance; a transient domain goes.
 * why: how it ended, for the log line every end gets. */
static void finish(struct vmmd *m, struct domain *d, int state, int reason, const char *why)
{
	bool bad = reason == SHUTOFF_FAILED || reason == SHUTOFF_CRASHED;
	const char *what = reason == SHUTOFF_FAILED ? "failed to start" : bad ? "crashed" : "stopped";
	char tail[300] = "";

	/* a site that cannot run must not be started again by every client */
	if (bad) {
		d->site_hold_ms = now_ms() + SITE_FAILED_HOLD_MS;
		log_tail(m, dom_name(d), tail, sizeof tail);
		if (strstr(why, tail))
			tail[0] = 0; /* the reason quotes it already (a start's error) */
	}
	fprintf(stderr, "vmmd: domain '%s': %s: %s%s%s\n", dom_name(d), what, why, tail[0] ? "; its log ends: " : "",
		tail);
	end_console(d, bad ? what : NULL, why);
	store_remove_run(m->state_dir, dom_name(d));
	if (d->proc.pidfd >= 0)
		vmproc_release(&d->proc);
	remove_cgroup(m, d);
	cleanup_cid_lock(d->cid); /* vmm's lock went with it; the file need not stay */
	/* a destroy waiting for this answers now, whatever ended the VM */
	waits_done(m, dom_uuid(d), WAIT_DESTROY, NULL);
	domain_config_free(d->live);
	d->live = NULL;
	d->id = -1;
	d->cid = 0;
	d->state = state;
	d->reason = reason;
	d->shutdown_deadline_ms = 0;
	d->destroying = d->rebooting = false;
	d->destroy_deadline_ms = 0;
	d->destroy_killed = false;
	d->start_phase = START_NONE;
	if (!d->def) {
		if (d->site_fd >= 0)
			front_changed(m);
		site_close(m, d);
		domains_remove(&m->doms, d);
	}
}

/* Whether another VM on this host (another daemon's, or a vmm run by hand)
 * holds cid: vmm keeps an flock on its CID's lock file while it runs. */
static bool cid_locked_elsewhere(unsigned cid)
{
	char path[64];
	bool taken = false;
	int fd;

	snprintf(path, sizeof path, VSOCK_CID_DIR "/cid-%u.lock", cid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		taken = errno == EWOULDBLOCK;
	close(fd); /* drops the probe's lock */
	return taken;
}

static int cmp_cid(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* The CID for a start of self: its own, or for <cid auto='yes'/> the next
 * one from a rotating hint that none of our starts took and no VM on the
 * host holds (a domain adopted after a restart is only known by its lock;
 * one started a moment ago may not have taken its lock yet). */
static unsigned pick_cid(struct vmmd *m, const struct domain *self, struct verr *e)
{
	unsigned want = self->live->cid, *used = malloc((m->doms.n + 1) * sizeof *used), cid = 0;
	size_t n = 0;

	if (!used) {
		verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
		return 0;
	}
	for (size_t i = 0; i < m->doms.n; i++) {
		const struct domain *o = m->doms.v[i];

		if (o != self && dom_active(o) && o->cid)
			used[n++] = o->cid;
	}
	qsort(used, n, sizeof *used, cmp_cid);
	if (want) {
		if (bsearch(&want, used, n, sizeof *used, cmp_cid))
			verr_set(e, VERR_OPERATION_INVALID, "vsock CID %u is already in use", want);
		else
			cid = want;
	} else {
		for (unsigned tries = 0; tries < CID_AUTO_SPAN && !cid; tries++) {
			unsigned c = m->next_cid >= 3 && m->next_cid < 3 + CID_AUTO_SPAN ? m->next_cid : 3;

			m->next_cid = c + 1;
			if (!bsearch(&c, used, n, sizeof *used, cmp_cid) && !cid_locked_elsewhere(c))
				cid = c;
		}
		if (!cid)
			verr_set(e, VERR_OPERATION_FAILED, "no free vsock CID");
	}
	free(used);
	return cid;
}

/* The "starting" record of d: its run state with no pids. */
static int save_starting(struct vmmd *m, struct domain *d, struct verr *e)
{
	struct vm_proc started = d->proc;
	int rc;

	memset(&d->proc, 0, sizeof d->proc);
	d->proc.pidfd = -1;
	/* a vmm from a standby is not found by its command line */
	if (started.standby) {
		d->proc.starting_pid = started.vmm_pid;
		d->proc.starting_start = started.vmm_start;
	}
	rc = store_save_run(m->state_dir, d, e);
	d->proc = started;
	return rc;
}

/* Runs d->live (set by the caller) as a new instance: up to the vmm's
 * start. The rest follows as events of the loop (lc_event, lc_tick): the
 * report of its move into its cgroups (spawn_reported), then --start-wait
 * when check (the START_SETTLE phase). how: the log line's verb
 * ("started", ...) or, for a restart, its reason. */
static int spawn(struct vmmd *m, struct domain *d, bool paused, bool check, bool restart, const char *how,
		 struct verr *e)
{
	struct vm_files files;
	unsigned cid = 0;
	int rc, report_fd = -1;

	if (d->live->has_vsock && !(cid = pick_cid(m, d, e)))
		return -1;
	if (d->live->site.present && site_open(m, d, e) < 0)
		return -1;
	/* vmm reads only what vmmd opened below the image directories */
	if (images_open(&m->images, d->live, &files, e) < 0)
		return -1;
	if (cgroup_vm_check(&m->cg, d->live, e) < 0) {
		vm_files_close(&files);
		return -1;
	}
	d->cid = cid;
	rc = vmproc_spawn(&(struct vmm_paths){ m->vmm_path, m->console_log_max, m->console_rate }, &m->feat,
			  m->state_dir, d->live, cid, d->site_fd, &files, &m->standby, &d->proc, e);
	vm_files_close(&files);
	if (rc < 0)
		return -1;
	/* the next standby is for a start like this one, made once this one has booted */
	m->standby_mem_kib = d->live->mem_kib;
	m->standby_due_ms = now_ms() + STANDBY_DELAY_MS;
	/* While the vmm boots: the "starting" record (no pid yet; 0.1 ms),
	 * which a daemon that dies before the pid is saved finds at start-up
	 * and looks for the VM instead of leaving it running untracked
	 * (adopt_one); then the groups and the vmm's move into them, in a
	 * thread of their own (cgroup_move.h), whose result the loop waits
	 * for. What that leaves
	 * outside the VM's limits until the move, ~10 ms at most unless the
	 * host is overloaded:
	 * - memory (v1 does not move charges): the pages vmm touches first (its
	 *   binary's, its early allocations, the start of guest RAM) stay
	 *   charged to vmmd's group for as long as they live; at most the
	 *   guest's RAM plus vmm's own few MiB, in practice what one vCPU
	 *   touches in those ms;
	 * - pids: threads made before the move are counted from the move on
	 *   (the move charges them; pids.max holds for every later one);
	 * - cpu: the time before the move is vmmd's group's.
	 * A move that fails fails the start: the vmm is killed before it is
	 * ever reported, so no VM runs outside its limits unnoticed. */
	if (save_starting(m, d, e) < 0 || (report_fd = cgroup_move_start(&m->cg, d->live, d->proc.vmm_pid, e)) < 0) {
		vmproc_abandon(&d->proc);
		store_remove_run(m->state_dir, dom_name(d));
		remove_cgroup(m, d);
		cleanup_cid_lock(cid); /* the vmm may have taken it */
		return -1;
	}
	/* libvirt's state while a start is under way; a domain restarting
	 * (on_reboot, on_crash) stays running, as a reset does in libvirt */
	d->state = restart ? DOM_RUNNING : DOM_PAUSED;
	d->reason = restart ? RUNNING_BOOTED : PAUSED_STARTING_UP;
	d->start_phase = START_REPORT;
	d->start_fd = report_fd;
	d->start_deadline_ms = now_ms() + REPORT_WAIT_MS;
	d->start_paused = paused;
	d->start_check = check;
	d->start_restart = restart;
	snprintf(d->start_how, sizeof d->start_how, "%s", how);
	return 0;
}

/* The vmm's move into its cgroups reported (or did not in time): the
 * instance runs, or (-1, e) what is left of it is gone, the domain still
 * to be finished. */
static int spawn_reported(struct vmmd *m, struct domain *d, bool timed_out, struct verr *e)
{
	int rc;

	if (timed_out) {
		close(d->start_fd); /* the thread's result, if it ever comes, goes nowhere */
		rc = verr_set(e, VERR_INTERNAL_ERROR,
			      "cannot start the vmm process: its move into the VM's cgroups took over %d s",
			      REPORT_WAIT_MS / 1000);
	} else {
		rc = cgroup_move_result(d->start_fd, e);
	}
	d->start_fd = -1;
	d->start_phase = START_NONE;
	if (rc < 0 || d->destroying) {
		vmproc_abandon(&d->proc);
		return rc < 0 ? -1
			      : verr_set(e, VERR_OPERATION_FAILED, "domain '%s' was destroyed while it started",
					 dom_name(d));
	}
	/* what a later signal checks it by; read here, not while the vmm
	 * boots (where vmmd's work competes with it for the CPUs); a
	 * standby's was read when it was made */
	if (!d->proc.vmm_start)
		d->proc.vmm_start = proc_starttime(d->proc.vmm_pid);
	d->started_ms = now_ms();
	d->state = d->start_paused ? DOM_PAUSED : DOM_RUNNING;
	d->reason = d->start_paused ? PAUSED_USER : RUNNING_BOOTED;
	if (d->start_paused)
		vmproc_signal(&d->proc, SIGSTOP);
	if (store_save_run(m->state_dir, d, e) < 0) {
		vmproc_abandon(&d->proc);
		return -1;
	}
	return 0;
}

/* After a start: a vmm that fails at once (bad kernel, no KVM) is reported
 * to the caller instead of leaving a domain that quietly stops. */
/* Why the kernel ended a vmm (status: its wait status), when it says more
 * than the signal: the OOM killer at the group's limit, or seccomp. */
static bool death_reason(struct vmmd *m, const struct domain *d, int status, char *out, size_t size)
{
	if (!WIFSIGNALED(status))
		return false;
	if (WTERMSIG(status) == SIGSYS) {
		snprintf(out, size, "killed by seccomp (SIGSYS): a system call outside its allowlist, named in the "
			 "domain's log");
		return true;
	}
	if (WTERMSIG(status) == SIGKILL && cgroup_vm_oom_kills(&m->cg, dom_uuid(d))) {
		snprintf(out, size, "was killed by the kernel's OOM killer at its memory limit (%" PRIu64 " KiB)",
			 domain_mem_limit_kib(d->live));
		return true;
	}
	return false;
}

static void exited(struct vmmd *m, struct domain *d, int status);

/* The ended vmm's wait status: reaped (our child), else its own record
 * (one a restarted daemon adopted); -1 when there is none. */
static int exit_status(struct vmmd *m, struct domain *d)
{
	int status = vmproc_release(&d->proc);

	if (status < 0 && store_read_status(m->state_dir, dom_name(d), &status) < 0)
		status = -1;
	return status;
}

/* The vmm ended within --start-wait: the start fails, unless the guest
 * powered off (or crashed) by itself, whose action then applies. */
static void settle_exited(struct vmmd *m, struct domain *d)
{
	char tail[400], why[160];
	uint8_t uuid[16];
	int status = exit_status(m, d);
	struct verr e;
	struct domain *now;

	d->start_phase = START_NONE;
	memcpy(uuid, dom_uuid(d), 16);
	/* destroyed, or powered off by itself */
	if (d->destroying || (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) != 2)) {
		bool transient = !d->def;

		exited(m, d, status); /* may free d */
		now = domains_by_uuid(&m->doms, uuid);
		if (transient && !(now && dom_active(now))) {
			verr_set(&e, VERR_OPERATION_FAILED, "domain stopped right after it started");
			waits_done(m, uuid, WAIT_START, &e);
		} else {
			waits_done(m, uuid, WAIT_START, NULL);
		}
		return;
	}
	log_tail(m, dom_name(d), tail, sizeof tail);
	if (status >= 0 && death_reason(m, d, status, why, sizeof why)) {
		fprintf(stderr, "vmmd: domain '%s': vmm %s\n", dom_name(d), why);
		verr_set(&e, VERR_INTERNAL_ERROR, "vmm %s%s%s", why, tail[0] ? ": " : "", tail);
	} else if (status >= 0 && WIFEXITED(status))
		verr_set(&e, VERR_INTERNAL_ERROR, "vmm exited with status %d%s%s", WEXITSTATUS(status),
			 tail[0] ? ": " : "", tail);
	else
		verr_set(&e, VERR_INTERNAL_ERROR, "vmm ended at once%s%s", tail[0] ? ": " : "", tail);
	waits_done(m, uuid, WAIT_START, &e);
	/* the log line says what failed without the client's error prefix */
	finish(m, d, DOM_SHUTOFF, SHUTOFF_FAILED, e.msg + (strncmp(e.msg, "internal error: ", 16) ? 0 : 16));
}

/* The move's report is in (or overdue): the start goes on to
 * --start-wait, or is answered. */
static void report_arrived(struct vmmd *m, struct domain *d, bool timed_out)
{
	uint8_t uuid[16];
	struct verr e;

	memcpy(uuid, dom_uuid(d), 16);
	if (spawn_reported(m, d, timed_out, &e) < 0) {
		char why[sizeof d->start_how + sizeof e.msg + 2];
		/* the log line says what failed without the client's error prefix */
		const char *msg = e.msg + (strncmp(e.msg, "internal error: ", 16) ? 0 : 16);

		if (d->destroying)
			verr_set(&e, VERR_OPERATION_FAILED, "domain '%s' was destroyed while it started", dom_name(d));
		waits_done(m, uuid, WAIT_START, &e);
		if (d->destroying)
			snprintf(why, sizeof why, "destroyed");
		else if (d->start_restart)
			snprintf(why, sizeof why, "%s: %s", d->start_how, msg);
		else
			snprintf(why, sizeof why, "%s", msg);
		finish(m, d, DOM_SHUTOFF, d->destroying ? SHUTOFF_DESTROYED : SHUTOFF_FAILED, why);
		return;
	}
	if (d->start_restart)
		fprintf(stderr, "vmmd: domain '%s': restarted (%s; vmm pid %ld)\n", dom_name(d), d->start_how,
			(long)d->proc.vmm_pid);
	else
		fprintf(stderr, "vmmd: domain '%s': %s (vmm pid %ld)\n", dom_name(d), d->start_how,
			(long)d->proc.vmm_pid);
	if (d->start_check && m->start_wait_ms > 0) {
		d->start_phase = START_SETTLE;
		d->start_deadline_ms = now_ms() + m->start_wait_ms;
		return;
	}
	waits_done(m, uuid, WAIT_START, NULL);
}

void lc_event(struct vmmd *m, struct domain *d, int fd)
{
	if (d->start_phase == START_REPORT && fd == d->start_fd)
		report_arrived(m, d, false);
	else if (d->start_phase == START_SETTLE && fd == d->proc.pidfd)
		settle_exited(m, d);
	else if (fd == d->proc.pidfd)
		lc_exited(m, d);
}

int lc_poll_fd(const struct domain *d)
{
	return d->start_phase == START_REPORT ? d->start_fd : d->proc.pidfd;
}

long lc_poll_owner(const struct domain *d)
{
	pid_t pid = d->proc.vmm_pid;

	return d->start_phase == START_REPORT ? -(long)pid - 1 : (long)pid;
}

/* how: "started", "autostarted", ... for the log line. */
static int start(struct vmmd *m, struct domain *d, bool paused, bool wait, const char *how, struct verr *e)
{
	if (dom_active(d))
		return verr_set(e, VERR_OPERATION_INVALID, "domain is already running");
	if (!d->def)
		return verr_set(e, VERR_OPERATION_INVALID, "domain is not defined");
	d->live = domain_config_dup(d->def);
	if (!d->live)
		return verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
	d->id = domains_new_id(&m->doms);
	d->quick_restarts = 0;
	if (spawn(m, d, paused, wait, false, how, e) < 0) {
		fprintf(stderr, "vmmd: domain '%s': failed to start: %s\n", dom_name(d), e->msg);
		domain_config_free(d->live);
		d->live = NULL;
		d->id = -1;
		d->state = DOM_SHUTOFF;
		d->reason = SHUTOFF_FAILED;
		return -1;
	}
	return 0;
}

int lc_start(struct vmmd *m, struct domain *d, bool paused, struct verr *e)
{
	return start(m, d, paused, true, "started", e);
}

/* No --start-wait: nobody waits for the start's answer (the site's client
 * waits for the site); a failure arrives as an exit like any other. */
int lc_start_on_demand(struct vmmd *m, struct domain *d, struct verr *e)
{
	return start(m, d, false, false, "started on demand", e);
}

struct domain *lc_create(struct vmmd *m, struct domain_config *cfg, bool paused, struct verr *e)
{
	struct domain *d = domains_add(&m->doms, NULL);

	if (!d) {
		domain_config_free(cfg);
		verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
		return NULL;
	}
	d->live = cfg;
	d->id = domains_new_id(&m->doms);
	if (spawn(m, d, paused, true, false, "started", e) < 0) {
		fprintf(stderr, "vmmd: domain '%s': failed to start: %s\n", cfg->name, e->msg);
		site_close(m, d);
		domains_remove(&m->doms, d);
		return NULL;
	}
	return d;
}

static int need_active(const struct domain *d, struct verr *e)
{
	if (!dom_active(d))
		return verr_set(e, VERR_OPERATION_INVALID, "domain is not running");
	/* no vmm to signal yet (at most REPORT_WAIT_MS; destroy is served) */
	if (d->start_phase == START_REPORT)
		return verr_set(e, VERR_OPERATION_INVALID, "domain '%s' is still starting: try again", dom_name(d));
	return 0;
}

int lc_shutdown(struct vmmd *m, struct domain *d, struct verr *e)
{
	if (need_active(d, e) < 0)
		return -1;
	if (vmproc_signal(&d->proc, SIGPWR) < 0)
		return verr_set(e, VERR_OPERATION_FAILED, "cannot signal the vmm process of domain '%s'", dom_name(d));
	if (!d->shutdown_deadline_ms)
		d->shutdown_deadline_ms = now_ms() + m->shutdown_timeout_ms;
	if (d->state == DOM_RUNNING) {
		d->state = DOM_SHUTDOWN;
		d->reason = SHUTDOWN_USER;
	}
	return 0;
}

int lc_reboot(struct vmmd *m, struct domain *d, struct verr *e)
{
	(void)m;
	if (need_active(d, e) < 0)
		return -1;
	d->rebooting = true;
	if (vmproc_signal(&d->proc, SIGUSR2) < 0)
		return verr_set(e, VERR_OPERATION_FAILED, "cannot signal the vmm process of domain '%s'", dom_name(d));
	return 0;
}

int lc_destroy(struct vmmd *m, struct domain *d, struct verr *e)
{
	(void)m;
	if (dom_active(d) && d->start_phase == START_REPORT) {
		/* the move's report, which comes at once for a vmm that is gone,
		 * finishes the domain (spawn_reported) */
		d->destroying = true;
		if (d->proc.is_child)
			kill(d->proc.vmm_pid, SIGKILL);
		return 0;
	}
	if (need_active(d, e) < 0)
		return -1;
	d->destroying = true;
	/* no wait here: the loop sees the pidfd (lc_exited) or the deadline
	 * (lc_tick); a destroy already under way keeps its deadline */
	if (!d->destroy_deadline_ms) {
		vmproc_signal(&d->proc, d->destroy_killed ? SIGKILL : SIGTERM);
		vmproc_signal(&d->proc, SIGCONT);
		d->destroy_deadline_ms = now_ms() + DESTROY_WAIT_MS;
	}
	return 0;
}

int lc_suspend(struct vmmd *m, struct domain *d, struct verr *e)
{
	(void)m;
	if (need_active(d, e) < 0)
		return -1;
	if (d->state == DOM_PAUSED)
		return 0;
	if (vmproc_signal(&d->proc, SIGSTOP) < 0)
		return verr_set(e, VERR_OPERATION_FAILED, "cannot signal the vmm process of domain '%s'", dom_name(d));
	d->state = DOM_PAUSED;
	d->reason = PAUSED_USER;
	return 0;
}

int lc_resume(struct vmmd *m, struct domain *d, struct verr *e)
{
	(void)m;
	if (need_active(d, e) < 0)
		return -1;
	if (d->state != DOM_PAUSED)
		return verr_set(e, VERR_OPERATION_INVALID, "domain is not paused");
	if (vmproc_signal(&d->proc, SIGCONT) < 0)
		return verr_set(e, VERR_OPERATION_FAILED, "cannot signal the vmm process of domain '%s'", dom_name(d));
	d->state = d->shutdown_deadline_ms ? DOM_SHUTDOWN : DOM_RUNNING;
	d->reason = d->shutdown_deadline_ms ? SHUTDOWN_USER : RUNNING_UNPAUSED;
	return 0;
}

/* action: the on_* action that restarts it; crash: how the instance
 * crashed (on_crash), NULL when the guest rebooted or powered off. */
static void restart(struct vmmd *m, struct domain *d, const char *action, const char *crash)
{
	char why[1200];
	struct verr e;

	if (now_ms() - d->started_ms < QUICK_RESTART_MS && ++d->quick_restarts > MAX_QUICK_RESTARTS) {
		snprintf(why, sizeof why, "%s%sit keeps stopping at once; not restarting it (%s restart)",
			 crash ? crash : "", crash ? "; " : "", action);
		finish(m, d, DOM_SHUTOFF, SHUTOFF_FAILED, why);
		return;
	}
	end_console(d, crash ? "crashed" : NULL, crash ? crash : action);
	store_remove_run(m->state_dir, dom_name(d));
	remove_cgroup(m, d); /* a fresh one: its OOM count starts again */
	d->rebooting = false;
	d->shutdown_deadline_ms = 0;
	snprintf(why, sizeof why, "%s restart%s%s", action, crash ? " after: " : "", crash ? crash : "");
	if (spawn(m, d, false, false, true, why, &e) < 0) {
		snprintf(why, sizeof why, "%s restart: %s", action, e.msg);
		finish(m, d, DOM_SHUTOFF, SHUTOFF_FAILED, why);
	}
}

/* How an instance ended, from its wait status (-1: none), for the log and
 * a console's last error. */
static void describe_exit(struct vmmd *m, const struct domain *d, int status, char *out, size_t size)
{
	char why[160];

	if (status < 0)
		snprintf(out, size, "vmm ended and no exit status was recorded");
	else if (death_reason(m, d, status, why, sizeof why))
		snprintf(out, size, "vmm %s", why);
	else if (WIFSIGNALED(status))
		snprintf(out, size, "vmm was killed by signal %d (SIG%s)", WTERMSIG(status),
			 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
	else if (WEXITSTATUS(status) == 125)
		snprintf(out, size, "the guest crashed (vmm exit status 125)");
	else if (WEXITSTATUS(status) == 2)
		snprintf(out, size, "vmm could not set the VM up (exit status 2)");
	else if (WEXITSTATUS(status) == 0)
		snprintf(out, size, "the guest powered off");
	else
		snprintf(out, size, "vmm exited with status %d", WEXITSTATUS(status));
}

void lc_exited(struct vmmd *m, struct domain *d)
{
	exited(m, d, exit_status(m, d));
}

/* The instance ended with status (a wait status, -1: unknown): its
 * domain's action. */
static void exited(struct vmmd *m, struct domain *d, int status)
{
	char how[200];
	int code = -1;
	bool shutdown = d->shutdown_deadline_ms != 0;

	if (status >= 0 && WIFEXITED(status))
		code = WEXITSTATUS(status);
	else if (status >= 0 && WIFSIGNALED(status))
		code = 128 + WTERMSIG(status);
	else if (!d->destroying)
		/* it ended while a daemon before this one was its parent, and
		 * was killed before it could say how */
		fprintf(stderr, "vmmd: domain '%s': vmm ended with no exit status recorded: crashed (status unknown)\n",
			dom_name(d));
	if (status >= 0 && !d->destroying) {
		char why[160];

		if (death_reason(m, d, status, why, sizeof why))
			fprintf(stderr, "vmmd: domain '%s': vmm %s\n", dom_name(d), why);
	}
	describe_exit(m, d, status, how, sizeof how);
	if (d->destroying)
		finish(m, d, DOM_SHUTOFF, SHUTOFF_DESTROYED, "destroyed");
	else if (code == 126 || (d->rebooting && code == 128 + SIGUSR2))
		d->live->on_reboot == ACTION_RESTART && !shutdown
			? restart(m, d, "on_reboot", NULL)
			: finish(m, d, DOM_SHUTOFF, SHUTOFF_SHUTDOWN, shutdown ? "shut down" : "rebooted (on_reboot destroy)");
	else if (shutdown && (code == 128 + SIGPWR || (code >= 0 && code < 125)))
		finish(m, d, DOM_SHUTOFF, SHUTOFF_SHUTDOWN, "shut down");
	else if (code == 2)
		finish(m, d, DOM_SHUTOFF, SHUTOFF_FAILED, how);
	else if (code >= 0 && code < 125 && d->live->site.on_demand)
		finish(m, d, DOM_SHUTOFF, SHUTOFF_SHUTDOWN, "powered off (an idle site: its next client starts it)");
	else if (code >= 0 && code < 125)
		d->live->on_poweroff == ACTION_RESTART ? restart(m, d, "on_poweroff", NULL)
						       : finish(m, d, DOM_SHUTOFF, SHUTOFF_SHUTDOWN, how);
	else if (code < 0 && shutdown)
		finish(m, d, DOM_SHUTOFF, SHUTOFF_SHUTDOWN, "shut down");
	else
		d->live->on_crash == ACTION_RESTART ? restart(m, d, "on_crash", how)
						    : finish(m, d, DOM_SHUTOFF, SHUTOFF_CRASHED, how);
}

/* Makes the next standby when it is due and no start is under way; the
 * loop's next timeout given next (-1: none). */
static int standby_tick(struct vmmd *m, int64_t now, int64_t next)
{
	struct verr e;

	if (!m->feat.standby || !m->standby_due_ms || m->standby.pid)
		return (int)next;
	for (size_t i = 0; i < m->doms.n; i++)
		if (m->doms.v[i]->start_phase == START_REPORT) {
			m->standby_due_ms = now + STANDBY_DELAY_MS;
			break;
		}
	if (m->standby_due_ms > now)
		return (int)(next < 0 || m->standby_due_ms - now < next ? m->standby_due_ms - now : next);
	m->standby_due_ms = 0;
	if (standby_start(&m->standby, m->vmm_path, m->standby_mem_kib, &e) < 0)
		fprintf(stderr, "vmmd: %s\n", e.msg);
	return (int)next;
}

int lc_tick(struct vmmd *m)
{
	int64_t now = now_ms(), next = -1;

	for (size_t i = 0; i < m->doms.n; i++) {
		struct domain *d = m->doms.v[i];
		struct verr e;

		if (d->start_phase != START_NONE && d->start_deadline_ms <= now) {
			if (d->start_phase == START_REPORT) {
				report_arrived(m, d, true);
				return 0; /* the list may have changed: look again at once */
			}
			d->start_phase = START_NONE; /* it survived --start-wait */
			waits_done(m, dom_uuid(d), WAIT_START, NULL);
		} else if (d->start_phase != START_NONE && (next < 0 || d->start_deadline_ms - now < next)) {
			next = d->start_deadline_ms - now;
		}
		if (d->destroy_deadline_ms) {
			if (d->destroy_deadline_ms <= now && !d->destroy_killed) {
				d->destroy_killed = true;
				vmproc_signal(&d->proc, SIGKILL);
				d->destroy_deadline_ms = now + DESTROY_WAIT_MS;
			} else if (d->destroy_deadline_ms <= now) {
				verr_set(&e, VERR_OPERATION_FAILED, "failed to terminate the vmm process of domain '%s'",
					 dom_name(d));
				fprintf(stderr, "vmmd: %s\n", e.msg);
				waits_done(m, dom_uuid(d), WAIT_DESTROY, &e);
				d->destroy_deadline_ms = 0; /* a later destroy tries SIGKILL again */
				continue;
			}
			if (next < 0 || d->destroy_deadline_ms - now < next)
				next = d->destroy_deadline_ms - now;
			continue;
		}
		if (!d->shutdown_deadline_ms || d->destroying)
			continue;
		if (d->shutdown_deadline_ms <= now) {
			fprintf(stderr, "vmmd: domain '%s': did not shut down in time; destroying it\n", dom_name(d));
			if (lc_destroy(m, d, &e) < 0)
				fprintf(stderr, "vmmd: %s\n", e.msg);
			return 0; /* the list may have changed: look again at once */
		}
		if (next < 0 || d->shutdown_deadline_ms - now < next)
			next = d->shutdown_deadline_ms - now;
	}
	return standby_tick(m, now, next);
}

/* A "starting" record (the daemon died between starting the vmm and
 * saving its pid): the vmm, recorded (one from a standby) or found by its
 * command line, and moved into the
 * VM's groups here, since that move may never have happened (it is the
 * start's last step); a vmm that cannot be moved is killed. */
static int find_started(struct vmmd *m, const char *name, const struct domain_config *live, struct vm_proc *p)
{
	char sock[STORE_PATH_MAX], arg[STORE_PATH_MAX + 20];
	struct cgroup_join cg = { .n = 0 };
	struct verr e;
	int rc, err;

	if (store_path(sock, sizeof sock, m->state_dir, "run", name, ".sock", &e) < 0)
		return -1;
	snprintf(arg, sizeof arg, "--console-socket=%s", sock);
	/* from a standby: recorded (if it is still that process); its command
	 * line names the domain only where vmm could make it the run's */
	if (p->starting_pid && p->starting_start && proc_starttime(p->starting_pid) == p->starting_start) {
		p->vmm_pid = p->starting_pid;
		p->vmm_start = p->starting_start;
	} else if (vmproc_find(p, m->feat.console_socket ? arg : NULL) < 0) {
		return -1;
	}
	p->starting_pid = 0;
	rc = cgroup_vm_prepare(&m->cg, live, &cg, &e);
	if (rc == 0 && (err = cgroup_move_now(&cg, p->vmm_pid)) != 0)
		rc = verr_set(&e, VERR_SYSTEM_ERROR, "cannot move it into its cgroups: %s", strerror(err));
	if (rc < 0) {
		fprintf(stderr, "vmmd: domain '%s': killing vmm (pid %ld) of a start whose record was not finished: %s\n",
			name, (long)p->vmm_pid, e.msg);
		if (proc_starttime(p->vmm_pid) == p->vmm_start)
			kill(p->vmm_pid, SIGKILL);
		return -1;
	}
	fprintf(stderr, "vmmd: domain '%s': adopting vmm (pid %ld) of a start whose record was not finished\n", name,
		(long)p->vmm_pid);
	return 0;
}

static void adopt_one(struct vmmd *m, const char *name)
{
	struct domain_config *live;
	struct vm_proc p = { .pidfd = -1 };
	struct domain *d;
	struct verr e;
	int id;
	bool stopped = false;

	if (store_load_run(m->state_dir, name, &id, &p, &live, &e) < 0) {
		fprintf(stderr, "vmmd: forgetting run state of '%s': %s\n", name, e.msg);
		store_remove_run(m->state_dir, name);
		return;
	}
	if (!p.vmm_pid && find_started(m, name, live, &p) < 0) {
		fprintf(stderr, "vmmd: domain '%s': dropping the record of a start that did not finish (no vmm running)\n",
			name);
		store_remove_run(m->state_dir, name);
		domain_config_free(live);
		return;
	}
	d = domains_by_uuid(&m->doms, live->uuid);
	if (d && (strcmp(dom_name(d), live->name) != 0 || dom_active(d) || domains_by_id(&m->doms, id)))
		d = NULL;
	else if (!d && !domains_by_name(&m->doms, live->name) && !domains_by_id(&m->doms, id))
		d = domains_add(&m->doms, NULL);
	if (!d) {
		fprintf(stderr, "vmmd: cannot adopt domain '%s': it clashes with another domain\n", name);
		domain_config_free(live);
		return;
	}
	d->live = live;
	d->id = id;
	d->proc = p;
	if (id >= m->doms.next_id)
		m->doms.next_id = id + 1;
	d->started_ms = now_ms();
	if (vmproc_adopt(&d->proc) < 0) {
		lc_exited(m, d);
		return;
	}
	vmproc_vmm_alive(&d->proc, &stopped);
	d->state = stopped ? DOM_PAUSED : DOM_RUNNING;
	d->reason = stopped ? PAUSED_USER : RUNNING_BOOTED;
	fprintf(stderr, "vmmd: domain '%s': adopted (vmm pid %ld%s)\n", name, (long)d->proc.vmm_pid,
		stopped ? ", paused" : "");
	if (store_save_run(m->state_dir, d, &e) < 0) /* the pids a starting record lacked */
		fprintf(stderr, "vmmd: domain '%s': %s\n", name, e.msg);
}

void lc_adopt_all(struct vmmd *m)
{
	char **names;
	size_t n;

	if (store_list_runs(m->state_dir, &names, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		adopt_one(m, names[i]);
		free(names[i]);
	}
	free(names);
	/* groups a daemon that died left behind (the instances that ended
	 * meanwhile lost theirs in adopt_one) */
	for (size_t i = 0; i < m->doms.n; i++)
		if (!dom_active(m->doms.v[i]))
			remove_cgroup(m, m->doms.v[i]);
	cleanup_stale(m->state_dir, &m->doms);
}

void lc_standby_plan(struct vmmd *m)
{
	for (size_t i = 0; i < m->doms.n && !m->standby_due_ms; i++) {
		const struct domain *d = m->doms.v[i];

		/* the first request to a stopped on-demand site waits for its start */
		if (d->def && !dom_active(d) && d->def->site.present && d->def->site.on_demand) {
			m->standby_mem_kib = d->def->mem_kib;
			m->standby_due_ms = now_ms() + STANDBY_DELAY_MS;
		}
	}
}

void lc_autostart_all(struct vmmd *m)
{
	for (size_t i = 0; i < m->doms.n; i++) {
		struct domain *d = m->doms.v[i];
		struct verr e;

		/* a failure is logged by start() */
		if (d->def && d->autostart && !dom_active(d))
			start(m, d, false, true, "autostarted", &e);
	}
}

#include "daemon/domain/xml.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "daemon/domain/xml_read.h"
#include "daemon/domain/xml_site.h"

/* libvirt's memory units, as a byte multiplier. */
static uint64_t unit_scale(const char *u)
{
	static const struct { const char *name; uint64_t mul; } units[] = {
		{ "b", 1 }, { "bytes", 1 },
		{ "KB", 1000ull }, { "k", 1024ull }, { "K", 1024ull }, { "KiB", 1024ull },
		{ "MB", 1000000ull }, { "M", 1ull << 20 }, { "m", 1ull << 20 }, { "MiB", 1ull << 20 },
		{ "GB", 1000000000ull }, { "G", 1ull << 30 }, { "g", 1ull << 30 }, { "GiB", 1ull << 30 },
		{ "TB", 1000000000000ull }, { "T", 1ull << 40 }, { "t", 1ull << 40 }, { "TiB", 1ull << 40 },
	};

	if (!u)
		return 1024;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(units[i].name, u) == 0)
			return units[i].mul;
	return 0;
}

static int parse_memory(struct px *p, const xmlNode *n, uint64_t *kib)
{
	char *unit = NULL, *text = NULL;
	uint64_t v, mul;
	int rc = -1;

	if (xr_only_attrs(p, n, "unit", NULL) < 0 || xr_text(p, n, DOMAIN_VALUE_MAX, &text) < 0)
		goto out;
	unit = xr_attr(n, "unit");
	mul = unit_scale(unit);
	xr_trim(text);
	if (!mul) {
		verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "unknown memory unit '%s' in <%s>", unit, xr_name(n));
		goto out;
	}
	if (xr_u64(text, &v) < 0 || (v && v > UINT64_MAX / mul)) {
		verr_set(p->e, VERR_XML_ERROR, "invalid value '%s' for <%s>", text, xr_name(n));
		goto out;
	}
	v *= mul;
	*kib = v / 1024 + (v % 1024 ? 1 : 0);
	if (*kib < DOMAIN_MIN_MEM_KIB || *kib > DOMAIN_MAX_MEM_KIB) {
		verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "<%s> must be between 1 MiB and 1 TiB", xr_name(n));
		goto out;
	}
	rc = 0;
out:
	xmlFree(unit);
	free(text);
	return rc;
}

static int parse_action(struct px *p, const xmlNode *n, enum domain_action *a)
{
	char *t = NULL;
	int rc = -1;

	if (xr_only_attrs(p, n, NULL) < 0 || xr_text(p, n, DOMAIN_VALUE_MAX, &t) < 0)
		return -1;
	xr_trim(t);
	if (strcmp(t, "destroy") == 0)
		*a = ACTION_DESTROY, rc = 0;
	else if (strcmp(t, "restart") == 0)
		*a = ACTION_RESTART, rc = 0;
	else
		verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "<%s>%s</%s>: use 'destroy' or 'restart'", xr_name(n), t, xr_name(n));
	free(t);
	return rc;
}

static int parse_vcpu(struct px *p, const xmlNode *n)
{
	char *pl = NULL, *t = NULL;
	uint64_t v;
	int rc = -1;

	if (xr_only_attrs(p, n, "placement", NULL) < 0 || xr_text(p, n, DOMAIN_VALUE_MAX, &t) < 0)
		return -1;
	pl = xr_attr(n, "placement");
	xr_trim(t);
	if (pl && strcmp(pl, "static") != 0)
		verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "vcpu placement '%s' (only 'static')", pl);
	else if (xr_u64(t, &v) < 0 || v < 1 || v > DOMAIN_MAX_VCPUS)
		verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "<vcpu> must be a number from 1 to %d, not '%s'",
			 DOMAIN_MAX_VCPUS, t);
	else
		p->c->vcpus = (unsigned)v, rc = 0;
	xmlFree(pl);
	free(t);
	return rc;
}

/* <memtune>: only <hard_limit> (the cgroup's memory limit); the soft and
 * swap limits and min_guarantee have nothing behind them here. */
static int parse_memtune(struct px *p, const xmlNode *mt)
{
	if (xr_only_attrs(p, mt, NULL) < 0)
		return -1;
	for (const xmlNode *n = mt->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!xr_is(n, "hard_limit") || n->ns)
			return xr_unsupported(p, n, "memtune");
		if (p->c->tune.hard_limit_kib)
			return verr_set(p->e, VERR_XML_ERROR, "duplicate <hard_limit> in <memtune>");
		if (parse_memory(p, n, &p->c->tune.hard_limit_kib) < 0)
			return -1;
	}
	return 0;
}

/* One number of <cputune>, in [min, max] (or -1 where minus_one). */
static int parse_tune_num(struct px *p, const xmlNode *n, int64_t min, int64_t max, bool minus_one, int64_t *out)
{
	char *t = NULL;
	uint64_t v;
	int rc = -1;

	if (xr_only_attrs(p, n, NULL) < 0 || xr_text(p, n, DOMAIN_VALUE_MAX, &t) < 0)
		return -1;
	xr_trim(t);
	if (minus_one && strcmp(t, "-1") == 0)
		*out = -1, rc = 0;
	else if (xr_u64(t, &v) == 0 && v >= (uint64_t)min && v <= (uint64_t)max)
		*out = (int64_t)v, rc = 0;
	else
		verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "<%s>%.40s</%s> in <cputune>: use %s%" PRId64 " to %" PRId64,
			 xr_name(n), t, xr_name(n), minus_one ? "-1 (no limit) or " : "", min, max);
	free(t);
	return rc;
}

/* <cputune>: <shares> (the cgroup's CPU weight), <period> and <quota> (the
 * CPU bandwidth of each vCPU, as libvirt means them). */
static int parse_cputune(struct px *p, const xmlNode *ct)
{
	struct domain_tune *t = &p->c->tune;

	if (xr_only_attrs(p, ct, NULL) < 0)
		return -1;
	for (const xmlNode *n = ct->children; n; n = n->next) {
		int64_t v;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns)
			return xr_unsupported(p, n, "cputune");
		if (xr_is(n, "shares")) {
			if (t->shares)
				return verr_set(p->e, VERR_XML_ERROR, "duplicate <shares> in <cputune>");
			if (parse_tune_num(p, n, DOMAIN_CPU_SHARES_MIN, DOMAIN_CPU_SHARES_MAX, false, &v) < 0)
				return -1;
			t->shares = (uint64_t)v;
		} else if (xr_is(n, "period")) {
			if (t->period_us)
				return verr_set(p->e, VERR_XML_ERROR, "duplicate <period> in <cputune>");
			if (parse_tune_num(p, n, DOMAIN_CPU_PERIOD_MIN, DOMAIN_CPU_PERIOD_MAX, false, &v) < 0)
				return -1;
			t->period_us = (uint64_t)v;
		} else if (xr_is(n, "quota")) {
			if (t->quota_us)
				return verr_set(p->e, VERR_XML_ERROR, "duplicate <quota> in <cputune>");
			if (parse_tune_num(p, n, DOMAIN_CPU_QUOTA_MIN, DOMAIN_CPU_QUOTA_MAX, true, &v) < 0)
				return -1;
			t->quota_us = v;
		} else {
			return xr_unsupported(p, n, "cputune");
		}
	}
	return 0;
}

static int parse_os(struct px *p, const xmlNode *os)
{
	bool have_type = false;

	if (xr_only_attrs(p, os, NULL) < 0)
		return -1;
	for (const xmlNode *n = os->children; n; n = n->next) {
		char **slot = NULL;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xr_is(n, "type")) {
			char *arch, *t = NULL;
			int bad;

			if (xr_only_attrs(p, n, "arch", NULL) < 0 || xr_text(p, n, DOMAIN_VALUE_MAX, &t) < 0)
				return -1;
			arch = xr_attr(n, "arch");
			xr_trim(t);
			bad = strcmp(t, "hvm") != 0 || (arch && strcmp(arch, "x86_64") != 0);
			xmlFree(arch);
			free(t);
			if (bad)
				return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "os type must be 'hvm' on arch 'x86_64'");
			have_type = true;
			continue;
		}
		if (xr_is(n, "kernel"))
			slot = &p->c->kernel;
		else if (xr_is(n, "initrd"))
			slot = &p->c->initrd;
		else if (xr_is(n, "cmdline"))
			slot = &p->c->cmdline;
		else
			return xr_unsupported(p, n, "os");
		if (*slot)
			return verr_set(p->e, VERR_XML_ERROR, "duplicate <%s> in <os>", xr_name(n));
		if (xr_only_attrs(p, n, NULL) < 0 || xr_text(p, n, DOMAIN_VALUE_MAX, slot) < 0)
			return -1;
		if (slot != &p->c->cmdline)
			xr_trim(*slot);
	}
	if (!have_type)
		return verr_set(p->e, VERR_XML_ERROR, "missing <type> in <os>");
	/* No <kernel>: vmm's firmware boots the site image on the first disk
	 * (checked in parse_domain, once the disks are read). */
	if (p->c->kernel && p->c->kernel[0] != '/')
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "<kernel> needs an absolute path");
	if (p->c->initrd && p->c->initrd[0] != '/')
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "<initrd> needs an absolute path");
	return 0;
}

static int parse_features(struct px *p, const xmlNode *f)
{
	if (xr_only_attrs(p, f, NULL) < 0)
		return -1;
	for (const xmlNode *n = f->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xr_is(n, "acpi"))
			p->c->acpi = true;
		else if (xr_is(n, "apic"))
			p->c->apic = true;
		else
			return xr_unsupported(p, n, "features");
		if (xr_only_attrs(p, n, NULL) < 0 || xr_empty(p, n) < 0)
			return -1;
	}
	return 0;
}

/* index of v in the n strings of table (from 1: [0] is "none"), -1 if not there */
static int lookup(const char *const *table, int n, const char *v)
{
	for (int i = 1; i < n; i++)
		if (strcmp(table[i], v) == 0)
			return i;
	return -1;
}

static int parse_timer(struct px *p, const xmlNode *n)
{
	static const char *const others[] = { "platform", "tsc", "hypervclock", "armvtimer" };
	struct domain_clock *k = &p->c->clock;
	struct domain_timer t = { .present = -1 };
	char *name, *present, *tick, *track;
	int rc = -1, i;

	if (xr_only_attrs(p, n, "name", "present", "tickpolicy", "track", NULL) < 0 || xr_empty(p, n) < 0)
		return -1;
	name = xr_attr(n, "name");
	present = xr_attr(n, "present");
	tick = xr_attr(n, "tickpolicy");
	track = xr_attr(n, "track");
	if (!name) {
		verr_set(p->e, VERR_XML_ERROR, "missing timer name");
		goto out;
	}
	for (i = 0; i < DOMAIN_TIMER_NAMES && strcmp(domain_timer_names[i], name) != 0; i++)
		;
	if (i == DOMAIN_TIMER_NAMES) {
		for (unsigned j = 0; j < sizeof others / sizeof others[0]; j++)
			if (strcmp(others[j], name) == 0) {
				verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "timer '%s' is not supported by vmm", name);
				goto out;
			}
		verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "unknown timer name '%s'", name);
		goto out;
	}
	t.name = (enum domain_timer_name)i;
	for (unsigned j = 0; j < k->ntimers; j++)
		if (k->timers[j].name == t.name) {
			verr_set(p->e, VERR_XML_ERROR, "duplicate timer '%s'", name);
			goto out;
		}
	if (present && strcmp(present, "yes") != 0 && strcmp(present, "no") != 0) {
		verr_set(p->e, VERR_XML_ERROR, "Invalid value for attribute 'present' in element 'timer': '%s'.", present);
		goto out;
	}
	if (present)
		t.present = strcmp(present, "yes") == 0;
	if (tick && (i = lookup(domain_timer_tickpolicies, 5, tick)) < 0) {
		verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "unknown timer tickpolicy '%s'", tick);
		goto out;
	}
	t.tickpolicy = tick ? (unsigned)i : 0;
	if (track && t.name != TIMER_RTC) {
		verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "timer '%s': track is only valid with timer 'rtc'", name);
		goto out;
	}
	if (track && (i = lookup(domain_timer_tracks, 5, track)) < 0) {
		verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "unknown timer track '%s'", track);
		goto out;
	}
	t.track = track ? (unsigned)i : 0;
	/* what vmm's machine has: an in-kernel PIT and kvmclock, neither an
	 * HPET nor an RTC; a tick policy is a hint for missed ticks, kept */
	if ((t.name == TIMER_PIT || t.name == TIMER_KVMCLOCK) && t.present == 0)
		verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "vmm's machine always has the timer '%s' (present='no')",
			 domain_timer_names[t.name]);
	else if ((t.name == TIMER_HPET || t.name == TIMER_RTC) && t.present == 1)
		verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "vmm's machine has no %s (timer '%s' present='yes')",
			 t.name == TIMER_HPET ? "HPET" : "RTC", domain_timer_names[t.name]);
	else {
		k->timers[k->ntimers++] = t;
		rc = 0;
	}
out:
	xmlFree(name);
	xmlFree(present);
	xmlFree(tick);
	xmlFree(track);
	return rc;
}

/* <clock>: UTC is what a vmm guest sees (libvirt's default offset too);
 * another offset would need an RTC vmm does not have. */
static int parse_clock(struct px *p, const xmlNode *c)
{
	char *offset, *adj;
	int bad = 0;

	if (xr_only_attrs(p, c, "offset", "adjustment", NULL) < 0)
		return -1;
	offset = xr_attr(c, "offset");
	adj = xr_attr(c, "adjustment");
	if (offset && strcmp(offset, "utc") != 0) {
		bad = -1;
		if (!strcmp(offset, "localtime") || !strcmp(offset, "timezone") || !strcmp(offset, "variable") ||
		    !strcmp(offset, "absolute"))
			verr_set(p->e, VERR_CONFIG_UNSUPPORTED,
				 "clock offset '%s' is not supported: vmm's guests keep UTC (<clock offset='utc'/>)",
				 offset);
		else
			verr_set(p->e, VERR_XML_ERROR, "Invalid value for attribute 'offset' in element 'clock': '%s'.",
				 offset);
	} else if (adj && strcmp(adj, "reset") != 0 && strcmp(adj, "0") != 0) {
		bad = -1;
		verr_set(p->e, VERR_CONFIG_UNSUPPORTED,
			 "clock adjustment '%s' is not supported: vmm's guests keep UTC as the host has it", adj);
	}
	xmlFree(offset);
	xmlFree(adj);
	if (bad)
		return -1;
	p->c->clock.present = true;
	for (const xmlNode *n = c->children; n; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_COMMENT_NODE)
			continue;
		if (n->type != XML_ELEMENT_NODE || !xr_is(n, "timer") || n->ns)
			return xr_unsupported(p, n, "clock");
		if (parse_timer(p, n) < 0)
			return -1;
	}
	return 0;
}

static int parse_disk(struct px *p, const xmlNode *d)
{
	struct domain_disk *disk;
	char *dev;

	if (p->c->ndisks == DOMAIN_MAX_DISKS)
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "more than %d disks", DOMAIN_MAX_DISKS);
	disk = &p->c->disks[p->c->ndisks++];
	if (xr_only_attrs(p, d, "type", "device", NULL) < 0 || xr_attr_equals(p, d, "type", "file", true) < 0 ||
	    xr_attr_equals(p, d, "device", "disk", false) < 0)
		return -1;
	for (const xmlNode *n = d->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xr_is(n, "source")) {
			if (disk->file)
				return verr_set(p->e, VERR_XML_ERROR, "duplicate <source> in <disk>");
			if (xr_only_attrs(p, n, "file", NULL) < 0 || xr_empty(p, n) < 0)
				return -1;
			disk->file = xr_attr(n, "file");
			if (!disk->file || disk->file[0] != '/' || strchr(disk->file, ','))
				return verr_set(p->e, VERR_CONFIG_UNSUPPORTED,
						"disk <source file=...> must be an absolute path without ','");
		} else if (xr_is(n, "target")) {
			if (xr_only_attrs(p, n, "dev", "bus", NULL) < 0 || xr_empty(p, n) < 0 ||
			    xr_attr_equals(p, n, "bus", "virtio", false) < 0)
				return -1;
			dev = xr_attr(n, "dev");
			if (!dev || strncmp(dev, "vd", 2) != 0 || strlen(dev) < 3 || strlen(dev) >= sizeof disk->target) {
				xmlFree(dev);
				return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "disk <target dev=...> must be vda, vdb, ...");
			}
			strcpy(disk->target, dev);
			xmlFree(dev);
		} else if (xr_is(n, "readonly")) {
			if (xr_only_attrs(p, n, NULL) < 0 || xr_empty(p, n) < 0)
				return -1;
			disk->readonly = true;
		} else if (xr_is(n, "driver")) {
			if (xr_only_attrs(p, n, "name", "type", NULL) < 0 || xr_empty(p, n) < 0 ||
			    xr_attr_equals(p, n, "type", "raw", false) < 0)
				return -1;
		} else {
			return xr_unsupported(p, n, "disk");
		}
	}
	if (!disk->file || !disk->target[0])
		return verr_set(p->e, VERR_XML_ERROR, "<disk> needs <source file=...> and <target dev=...>");
	for (unsigned i = 0; i + 1 < p->c->ndisks; i++)
		if (strcmp(p->c->disks[i].target, disk->target) == 0)
			return verr_set(p->e, VERR_XML_ERROR, "target '%s' duplicated for disk sources '%s' and '%s'",
					disk->target, p->c->disks[i].file, disk->file);
	return 0;
}

/* <serial type='pty'> and <console type='pty'>: the guest's only serial port,
 * which vmm always provides; accepted so libvirt-style XML round-trips. */
static int parse_chardev(struct px *p, const xmlNode *d)
{
	if (xr_only_attrs(p, d, "type", NULL) < 0 || xr_attr_equals(p, d, "type", "pty", false) < 0)
		return -1;
	for (const xmlNode *n = d->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!xr_is(n, "target"))
			return xr_unsupported(p, n, xr_name(d));
		if (xr_only_attrs(p, n, "type", "port", NULL) < 0 || xr_empty(p, n) < 0 ||
		    xr_attr_equals(p, n, "port", "0", false) < 0 || xr_attr_equals(p, n, "type", "serial", false) < 0)
			return -1;
	}
	return 0;
}

static int parse_vsock(struct px *p, const xmlNode *v)
{
	if (p->c->has_vsock)
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "only one <vsock> device is supported");
	p->c->has_vsock = true;
	if (xr_only_attrs(p, v, "model", NULL) < 0 || xr_attr_equals(p, v, "model", "virtio", false) < 0)
		return -1;
	for (const xmlNode *n = v->children; n; n = n->next) {
		char *autov, *addr;
		uint64_t cid = 0;
		int bad = 0;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!xr_is(n, "cid"))
			return xr_unsupported(p, n, "vsock");
		if (xr_only_attrs(p, n, "auto", "address", NULL) < 0 || xr_empty(p, n) < 0)
			return -1;
		autov = xr_attr(n, "auto");
		addr = xr_attr(n, "address");
		if (autov && strcmp(autov, "yes") != 0 && strcmp(autov, "no") != 0)
			bad = 1;
		if (addr && (xr_u64(addr, &cid) < 0 || cid < 3 || cid > UINT32_MAX - 1))
			bad = 1;
		if (!addr && autov && strcmp(autov, "no") == 0)
			bad = 1;
		xmlFree(autov);
		xmlFree(addr);
		if (bad)
			return verr_set(p->e, VERR_CONFIG_UNSUPPORTED,
					"<cid>: use auto='yes' or an address from 3 to 4294967294");
		p->c->cid = (unsigned)cid;
	}
	return 0;
}

static int parse_devices(struct px *p, const xmlNode *devs)
{
	bool serial = false, console = false;

	if (xr_only_attrs(p, devs, NULL) < 0)
		return -1;
	for (const xmlNode *n = devs->children; n; n = n->next) {
		int rc;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xr_is(n, "disk")) {
			rc = parse_disk(p, n);
		} else if (xr_is(n, "serial") || xr_is(n, "console")) {
			bool *seen = xr_is(n, "serial") ? &serial : &console;

			if (*seen)
				return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "only one <%s> is supported", xr_name(n));
			*seen = true;
			rc = parse_chardev(p, n);
		} else if (xr_is(n, "vsock")) {
			rc = parse_vsock(p, n);
		} else if (xr_is(n, "emulator")) {
			/* virt-install copies it from the capabilities; the daemon
			 * checks it names its vmm */
			if (p->c->emulator)
				return verr_set(p->e, VERR_XML_ERROR, "duplicate element <emulator>");
			rc = xr_only_attrs(p, n, NULL) < 0 ? -1 : xr_text(p, n, DOMAIN_VALUE_MAX, &p->c->emulator);
			if (rc == 0 && p->c->emulator[0] != '/')
				rc = verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "<emulator> needs an absolute path");
		} else {
			return xr_unsupported(p, n, "devices");
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* host='[ADDR:]PORT' with ADDR an IPv4 address. */
static int check_host(const char *h)
{
	const char *colon = strrchr(h, ':');
	unsigned port;

	if (!colon)
		return xr_port(h, &port);
	if (xr_port(colon + 1, &port) < 0 || colon - h >= INET_ADDRSTRLEN) {
		return -1;
	} else {
		char addr[INET_ADDRSTRLEN];
		struct in_addr a;

		memcpy(addr, h, (size_t)(colon - h));
		addr[colon - h] = 0;
		return inet_pton(AF_INET, addr, &a) == 1 ? 0 : -1;
	}
}

static int parse_publish(struct px *p, const xmlNode *n)
{
	struct domain_publish *pub;
	char *guest;
	int rc;

	if (p->c->npublish == DOMAIN_MAX_PUBLISH)
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "more than %d published ports", DOMAIN_MAX_PUBLISH);
	pub = &p->c->publish[p->c->npublish++];
	if (xr_only_attrs(p, n, "host", "unix", "guest", NULL) < 0 || xr_empty(p, n) < 0)
		return -1;
	pub->host = xr_attr(n, "host");
	pub->unix_path = xr_attr(n, "unix");
	guest = xr_attr(n, "guest");
	rc = guest ? xr_port(guest, &pub->guest_port) : -1;
	xmlFree(guest);
	if (rc < 0)
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "<vmm:publish guest=...> must be a port from 1 to 65535");
	if (!pub->host == !pub->unix_path)
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "<vmm:publish> needs exactly one of host= and unix=");
	if (pub->host && check_host(pub->host) < 0)
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "<vmm:publish host='%s'>: use [IPV4ADDR:]PORT", pub->host);
	if (pub->unix_path && (pub->unix_path[0] != '/' || strlen(pub->unix_path) > 107))
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED,
				"<vmm:publish unix=...> must be an absolute path of at most 107 bytes");
	return 0;
}

/* An element of another application in <metadata>: kept verbatim (with its
 * namespace declared on it, wherever the document declared it), as libvirt
 * keeps it. One element per namespace, as libvirt has it. */
static int keep_other_metadata(struct px *p, const xmlNode *n)
{
	char **all = &p->c->metadata_other;
	xmlDoc *doc;
	xmlNode *copy;
	xmlBuffer *buf;
	size_t have = *all ? strlen(*all) : 0, len;
	int rc = -1;

	if (!n->ns || !n->ns->href)
		return verr_set(p->e, VERR_XML_ERROR, "element <%s> in <metadata> needs a namespace of its own",
				xr_name(n));
	for (const xmlNode *k = n->parent->children; k != n; k = k->next)
		if (k->type == XML_ELEMENT_NODE && k->ns && k->ns->href && xmlStrEqual(k->ns->href, n->ns->href))
			return verr_set(p->e, VERR_XML_ERROR, "a second element of namespace '%s' in <metadata>",
					(const char *)n->ns->href);
	doc = xmlNewDoc(BAD_CAST "1.0");
	copy = doc ? xmlDocCopyNode((xmlNode *)n, doc, 1) : NULL;
	buf = copy ? xmlBufferCreate() : NULL;
	if (buf) {
		xmlDocSetRootElement(doc, copy);
		xmlReconciliateNs(doc, copy);
		if (xmlNodeDump(buf, doc, copy, 0, 0) < 0) {
			verr_set(p->e, VERR_INTERNAL_ERROR, "out of memory");
		} else if ((len = (size_t)xmlBufferLength(buf)) > DOMAIN_DESCRIPTION_MAX - have) {
			verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "<metadata> of other namespaces over %u bytes",
				 DOMAIN_DESCRIPTION_MAX);
		} else {
			char *grown = realloc(*all, have + len + 2);

			if (grown) {
				memcpy(grown + have, xmlBufferContent(buf), len);
				grown[have + len] = DOMAIN_METADATA_SEP;
				grown[have + len + 1] = 0;
				*all = grown;
				rc = 0;
			} else {
				verr_set(p->e, VERR_INTERNAL_ERROR, "out of memory");
			}
		}
	} else {
		verr_set(p->e, VERR_INTERNAL_ERROR, "out of memory");
	}
	if (buf)
		xmlBufferFree(buf);
	if (doc)
		xmlFreeDoc(doc);
	return rc;
}

static int parse_metadata(struct px *p, const xmlNode *m)
{
	if (xr_only_attrs(p, m, NULL) < 0)
		return -1;
	for (const xmlNode *n = m->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xr_is_ours(n, "site")) {
			if (site_parse(p, n) < 0)
				return -1;
			continue;
		}
		if (!n->ns || !n->ns->href || !xmlStrEqual(n->ns->href, BAD_CAST VMM_XML_NS)) {
			if (keep_other_metadata(p, n) < 0)
				return -1;
			continue;
		}
		if (!xr_is_ours(n, "vsock"))
			return verr_set(p->e, VERR_CONFIG_UNSUPPORTED,
					"unsupported element <%s> in <metadata> (only <vsock> and <site> in xmlns='%s')",
					xr_name(n), VMM_XML_NS);
		if (xr_only_attrs(p, n, NULL) < 0)
			return -1;
		for (const xmlNode *k = n->children; k; k = k->next) {
			if (k->type != XML_ELEMENT_NODE)
				continue;
			if (!xr_is_ours(k, "publish"))
				return xr_unsupported(p, k, "vmm:vsock");
			if (parse_publish(p, k) < 0)
				return -1;
		}
	}
	return 0;
}

static int parse_name(struct px *p, const xmlNode *n)
{
	char *t = NULL;
	const char *why;

	if (xr_only_attrs(p, n, NULL) < 0 || xr_text(p, n, DOMAIN_VALUE_MAX, &t) < 0)
		return -1;
	why = domain_name_check(t);
	if (!why)
		strcpy(p->c->name, t);
	else
		verr_set(p->e, VERR_XML_ERROR, "invalid domain name '%.80s': %s", t, why);
	free(t);
	return why ? -1 : 0;
}

static int parse_uuid(struct px *p, const xmlNode *n)
{
	char *t = NULL;
	int rc;

	if (xr_only_attrs(p, n, NULL) < 0 || xr_text(p, n, DOMAIN_VALUE_MAX, &t) < 0)
		return -1;
	rc = uuid_parse(t, p->c->uuid);
	if (rc < 0)
		verr_set(p->e, VERR_XML_ERROR, "malformed uuid element");
	free(t);
	return rc;
}

enum { SEEN_NAME, SEEN_UUID, SEEN_TITLE, SEEN_DESC, SEEN_MEM, SEEN_CURMEM, SEEN_VCPU, SEEN_OS, SEEN_FEAT,
       SEEN_ONPOWEROFF, SEEN_ONREBOOT, SEEN_ONCRASH, SEEN_DEVICES, SEEN_METADATA, SEEN_MEMTUNE, SEEN_CPUTUNE,
       SEEN_CLOCK };

static int parse_child(struct px *p, const xmlNode *n, unsigned *seen)
{
	static const char *const names[] = { "name", "uuid", "title", "description", "memory", "currentMemory",
					     "vcpu", "os", "features", "on_poweroff", "on_reboot", "on_crash",
					     "devices", "metadata", "memtune", "cputune", "clock" };
	int which = -1;

	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (xr_is(n, names[i]))
			which = (int)i;
	if (which < 0 || n->ns)
		return xr_unsupported(p, n, "domain");
	if (*seen & (1u << which))
		return verr_set(p->e, VERR_XML_ERROR, "duplicate element <%s>", xr_name(n));
	*seen |= 1u << which;
	switch (which) {
	case SEEN_NAME: return parse_name(p, n);
	case SEEN_UUID: return parse_uuid(p, n);
	case SEEN_TITLE: return xr_only_attrs(p, n, NULL) < 0 ? -1 : xr_text(p, n, DOMAIN_VALUE_MAX, &p->c->title);
	case SEEN_DESC:
		return xr_only_attrs(p, n, NULL) < 0 ? -1 : xr_text(p, n, DOMAIN_DESCRIPTION_MAX, &p->c->description);
	case SEEN_MEM: return parse_memory(p, n, &p->c->mem_kib);
	case SEEN_CURMEM: return parse_memory(p, n, &p->c->cur_mem_kib);
	case SEEN_VCPU: return parse_vcpu(p, n);
	case SEEN_OS: return parse_os(p, n);
	case SEEN_FEAT: return parse_features(p, n);
	case SEEN_ONPOWEROFF: return parse_action(p, n, &p->c->on_poweroff);
	case SEEN_ONREBOOT: return parse_action(p, n, &p->c->on_reboot);
	case SEEN_ONCRASH: return parse_action(p, n, &p->c->on_crash);
	case SEEN_DEVICES: return parse_devices(p, n);
	case SEEN_MEMTUNE: return parse_memtune(p, n);
	case SEEN_CPUTUNE: return parse_cputune(p, n);
	case SEEN_CLOCK: return parse_clock(p, n);
	default: return parse_metadata(p, n);
	}
}

static int parse_domain(struct px *p, const xmlNode *root)
{
	unsigned seen = 0;
	char *type;
	int bad;

	if (!xr_is(root, "domain") || root->ns)
		return verr_set(p->e, VERR_XML_ERROR, "expected root element <domain>, not <%s>", xr_name(root));
	if (xr_only_attrs(p, root, "type", "id", NULL) < 0)
		return -1;
	type = xr_attr(root, "type");
	bad = !type || strcmp(type, "kvm") != 0;
	if (bad)
		verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "domain type '%s' (vmm runs type='kvm')", type ? type : "");
	xmlFree(type);
	if (bad)
		return -1;
	for (const xmlNode *n = root->children; n; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_COMMENT_NODE)
			continue;
		if (n->type != XML_ELEMENT_NODE)
			return verr_set(p->e, VERR_XML_ERROR, "unexpected content in <domain>");
		if (parse_child(p, n, &seen) < 0)
			return -1;
	}
	if (!(seen & (1u << SEEN_NAME)))
		return verr_set(p->e, VERR_XML_ERROR, "missing <name> in <domain>");
	if (!(seen & (1u << SEEN_MEM)))
		return verr_set(p->e, VERR_XML_ERROR, "missing <memory> in <domain>");
	if (!(seen & (1u << SEEN_OS)))
		return verr_set(p->e, VERR_XML_ERROR, "missing <os> in <domain>");
	if (!p->c->kernel && !p->c->ndisks)
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED,
				"<os> needs a <kernel> with an absolute path (direct boot), or the domain a <disk> with a site image");
	if (!p->c->kernel && p->c->initrd)
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "<initrd> needs a <kernel>: a site image carries its kernel");
	if (!(seen & (1u << SEEN_CURMEM)) || p->c->cur_mem_kib > p->c->mem_kib)
		p->c->cur_mem_kib = p->c->mem_kib;
	if (!p->c->vcpus)
		p->c->vcpus = 1;
	if (p->c->npublish && !p->c->has_vsock)
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "published ports need a <vsock> device");
	if (p->c->site.present && !p->c->has_vsock)
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED,
				"a <vmm:site> needs a <vsock> device (<vsock model='virtio'><cid auto='yes'/></vsock>)");
	if (!(seen & (1u << SEEN_UUID)) && uuid_generate(p->c->uuid) < 0)
		return verr_set(p->e, VERR_INTERNAL_ERROR, "cannot generate a UUID");
	return 0;
}

/* The parser calls this at a DOCTYPE, before reading its internal subset:
 * the parse ends there. A domain needs no DTD, and a DTD's entities are how
 * a small document grows without bound when its text is read (one 400 KB
 * entity used 2,000 times was 800 MB), so none is read at all. */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxt *ctxt = ctx;

	(void)name, (void)external_id, (void)system_id;
	*(bool *)ctxt->_private = true;
	xmlStopParser(ctxt);
}

/* libxml2's own error, as libvirt words it. */
static void parse_error(xmlParserCtxt *ctxt, struct verr *e)
{
	const xmlError *x = xmlCtxtGetLastError(ctxt);

	if (x && x->message) {
		char msg[256];
		size_t n;

		snprintf(msg, sizeof msg, "%s", x->message);
		n = strlen(msg);
		while (n && msg[n - 1] == '\n')
			msg[--n] = 0;
		verr_set(e, VERR_XML_ERROR, "(domain_definition):%d: %s", x->line, msg);
	} else {
		verr_set(e, VERR_XML_ERROR, "cannot parse the domain XML");
	}
}

struct domain_config *domain_xml_parse(const char *xml, size_t len, struct verr *e)
{
	struct px p = { .e = e };
	xmlParserCtxt *ctxt;
	bool doctype = false;
	xmlDoc *doc;
	int rc;

	if (len > DOMAIN_XML_MAX) {
		verr_set(e, VERR_XML_ERROR, "document larger than %u bytes", DOMAIN_XML_MAX);
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
		return NULL;
	}
	ctxt->sax->internalSubset = refuse_doctype;
	ctxt->_private = &doctype;
	/* No XML_PARSE_NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE:
	 * nothing is fetched or substituted, and libxml2's own limits stay */
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "domain.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (doctype || !doc) {
		if (doctype)
			verr_set(e, VERR_XML_ERROR,
				 "(domain_definition): a DOCTYPE is not allowed in domain XML (no DTD, no entities)");
		else
			parse_error(ctxt, e);
		xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctxt);
		xmlResetLastError(); /* libxml2 keeps a copy of the error per thread */
		return NULL;
	}
	xmlFreeParserCtxt(ctxt);
	p.c = calloc(1, sizeof *p.c);
	if (!p.c)
		rc = verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
	else if (!xmlDocGetRootElement(doc))
		rc = verr_set(e, VERR_XML_ERROR, "no root element");
	else {
		p.c->on_reboot = ACTION_RESTART; /* libvirt's defaults: destroy, restart, destroy */
		rc = parse_domain(&p, xmlDocGetRootElement(doc));
	}
	xmlFreeDoc(doc);
	if (rc < 0) {
		domain_config_free(p.c);
		return NULL;
	}
	return p.c;
}

#include "daemon/domain/xml.h"
#include "daemon/domain/xml_site.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An in-memory FILE collects the document; escaping is done per value. */
void xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void text_elem(FILE *f, const char *indent, const char *name, const char *value)
{
	if (!value)
		return;
	fprintf(f, "%s<%s>", indent, name);
	xml_escape(f, value);
	fprintf(f, "</%s>\n", name);
}

static const char *action(enum domain_action a)
{
	return a == ACTION_RESTART ? "restart" : "destroy";
}

/* libvirt's form: offset always, a timer's attributes only when given */
static void format_clock(FILE *f, const struct domain_clock *k)
{
	if (!k->present)
		return;
	if (!k->ntimers) {
		fputs("  <clock offset='utc'/>\n", f);
		return;
	}
	fputs("  <clock offset='utc'>\n", f);
	for (unsigned i = 0; i < k->ntimers; i++) {
		const struct domain_timer *t = &k->timers[i];

		fprintf(f, "    <timer name='%s'", domain_timer_names[t->name]);
		if (t->present >= 0)
			fprintf(f, " present='%s'", t->present ? "yes" : "no");
		if (t->tickpolicy)
			fprintf(f, " tickpolicy='%s'", domain_timer_tickpolicies[t->tickpolicy]);
		if (t->track)
			fprintf(f, " track='%s'", domain_timer_tracks[t->track]);
		fputs("/>\n", f);
	}
	fputs("  </clock>\n", f);
}

static void format_devices(FILE *f, const struct domain_config *c)
{
	fputs("  <devices>\n", f);
	text_elem(f, "    ", "emulator", c->emulator);
	for (unsigned i = 0; i < c->ndisks; i++) {
		const struct domain_disk *d = &c->disks[i];

		fputs("    <disk type='file' device='disk'>\n", f);
		fputs("      <driver name='qemu' type='raw'/>\n      <source file='", f);
		xml_escape(f, d->file);
		fprintf(f, "'/>\n      <target dev='%s' bus='virtio'/>\n", d->target);
		if (d->readonly)
			fputs("      <readonly/>\n", f);
		fputs("    </disk>\n", f);
	}
	fputs("    <serial type='pty'>\n      <target port='0'/>\n    </serial>\n", f);
	fputs("    <console type='pty'>\n      <target type='serial' port='0'/>\n    </console>\n", f);
	if (c->has_vsock) {
		fputs("    <vsock model='virtio'>\n", f);
		if (c->cid)
			fprintf(f, "      <cid auto='no' address='%u'/>\n", c->cid);
		else
			fputs("      <cid auto='yes'/>\n", f);
		fputs("    </vsock>\n", f);
	}
	fputs("  </devices>\n", f);
}

char *domain_xml_format(const struct domain_config *c, int id)
{
	char uuid[37], *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	uuid_format(c->uuid, uuid);
	if (id > 0)
		fprintf(f, "<domain type='kvm' id='%d'>\n", id);
	else
		fputs("<domain type='kvm'>\n", f);
	text_elem(f, "  ", "name", c->name);
	fprintf(f, "  <uuid>%s</uuid>\n", uuid);
	text_elem(f, "  ", "title", c->title);
	text_elem(f, "  ", "description", c->description);
	if (c->npublish || c->site.present || c->metadata_other)
		fputs("  <metadata>\n", f);
	if (c->npublish) {
		fputs("    <vmm:vsock xmlns:vmm='" VMM_XML_NS "'>\n", f);
		for (unsigned i = 0; i < c->npublish; i++) {
			const struct domain_publish *p = &c->publish[i];

			fputs(p->host ? "      <vmm:publish host='" : "      <vmm:publish unix='", f);
			xml_escape(f, p->host ? p->host : p->unix_path);
			fprintf(f, "' guest='%u'/>\n", p->guest_port);
		}
		fputs("    </vmm:vsock>\n", f);
	}
	site_format(f, &c->site);
	/* as they came: their own text and spacing kept */
	for (const char *s = c->metadata_other, *end; s && *s; s = end + 1) {
		end = strchr(s, DOMAIN_METADATA_SEP);
		fprintf(f, "    %.*s\n", (int)(end - s), s);
	}
	if (c->npublish || c->site.present || c->metadata_other)
		fputs("  </metadata>\n", f);
	fprintf(f, "  <memory unit='KiB'>%" PRIu64 "</memory>\n", c->mem_kib);
	fprintf(f, "  <currentMemory unit='KiB'>%" PRIu64 "</currentMemory>\n", c->cur_mem_kib);
	if (c->tune.hard_limit_kib)
		fprintf(f, "  <memtune>\n    <hard_limit unit='KiB'>%" PRIu64 "</hard_limit>\n  </memtune>\n",
			c->tune.hard_limit_kib);
	fprintf(f, "  <vcpu placement='static'>%u</vcpu>\n", c->vcpus);
	if (c->tune.shares || c->tune.period_us || c->tune.quota_us) {
		fputs("  <cputune>\n", f);
		if (c->tune.shares)
			fprintf(f, "    <shares>%" PRIu64 "</shares>\n", c->tune.shares);
		if (c->tune.period_us)
			fprintf(f, "    <period>%" PRIu64 "</period>\n", c->tune.period_us);
		if (c->tune.quota_us)
			fprintf(f, "    <quota>%" PRId64 "</quota>\n", c->tune.quota_us);
		fputs("  </cputune>\n", f);
	}
	fputs("  <os>\n    <type arch='x86_64'>hvm</type>\n", f);
	text_elem(f, "    ", "kernel", c->kernel);
	text_elem(f, "    ", "initrd", c->initrd);
	text_elem(f, "    ", "cmdline", c->cmdline);
	fputs("  </os>\n", f);
	if (c->acpi || c->apic)
		fprintf(f, "  <features>\n%s%s  </features>\n", c->acpi ? "    <acpi/>\n" : "",
			c->apic ? "    <apic/>\n" : "");
	format_clock(f, &c->clock);
	fprintf(f, "  <on_poweroff>%s</on_poweroff>\n", action(c->on_poweroff));
	fprintf(f, "  <on_reboot>%s</on_reboot>\n", action(c->on_reboot));
	fprintf(f, "  <on_crash>%s</on_crash>\n", action(c->on_crash));
	format_devices(f, c);
	fputs("</domain>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

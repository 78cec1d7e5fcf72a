/* `virsh capabilities` and `virsh domcapabilities`: what this host and vmm
 * offer, in libvirt's formats (formatcaps.rst, formatdomaincaps.rst), so
 * tools that read them before they write a domain (virt-install) can. Only
 * what vmmd's domain XML accepts is offered: kvm domains of x86_64, hvm,
 * direct kernel boot (no firmware loader yet), virtio disks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "daemon/domain/config.h"
#include "daemon/domain/xml.h"
#include "daemon/proc/caps.h"

#define HOST_ARCH "x86_64"

/* The host CPU as /proc/cpuinfo tells it. */
struct host_cpu {
	char vendor[64]; /* libvirt's spelling: Intel, AMD; else vendor_id */
	char model[128]; /* "model name" */
	unsigned cpus, sockets, cores, threads;
};

/* The value of a "key<tabs>: value" line of /proc/cpuinfo, or NULL. */
static const char *cpuinfo_value(char *line, const char *key)
{
	size_t n = strlen(key);
	char *v, *end;

	if (strncmp(line, key, n) != 0 || (line[n] != ' ' && line[n] != '\t' && line[n] != ':'))
		return NULL;
	v = strchr(line + n, ':');
	if (!v)
		return NULL;
	v += 1 + strspn(v + 1, " \t");
	end = v + strcspn(v, "\n");
	*end = 0;
	return v;
}

static void read_host_cpu(struct host_cpu *h)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[4096];
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	/* distinct "physical id"s: a small bitmap is plenty for the sockets of
	 * a host */
	unsigned char seen[64] = { 0 };
	unsigned cores = 0, siblings = 0;

	memset(h, 0, sizeof *h);
	while (f && fgets(line, sizeof line, f)) {
		const char *v;

		if ((v = cpuinfo_value(line, "vendor_id")) && !h->vendor[0])
			snprintf(h->vendor, sizeof h->vendor, "%s",
				 !strcmp(v, "GenuineIntel") ? "Intel" : !strcmp(v, "AuthenticAMD") ? "AMD" : v);
		else if ((v = cpuinfo_value(line, "model name")) && !h->model[0])
			snprintf(h->model, sizeof h->model, "%s", v);
		else if ((v = cpuinfo_value(line, "physical id"))) {
			unsigned id = (unsigned)strtoul(v, NULL, 10);

			if (id < sizeof seen * 8 && !(seen[id / 8] & (1u << (id % 8)))) {
				seen[id / 8] |= (unsigned char)(1u << (id % 8));
				h->sockets++;
			}
		} else if ((v = cpuinfo_value(line, "cpu cores")) && !cores)
			cores = (unsigned)strtoul(v, NULL, 10);
		else if ((v = cpuinfo_value(line, "siblings")) && !siblings)
			siblings = (unsigned)strtoul(v, NULL, 10);
	}
	if (f)
		fclose(f);
	h->cpus = online > 0 ? (unsigned)online : 1;
	if (!h->sockets)
		h->sockets = 1;
	/* a guest of a hypervisor may not say: then every CPU is a core */
	h->cores = cores ? cores : (h->cpus + h->sockets - 1) / h->sockets;
	h->threads = siblings && cores && siblings >= cores ? siblings / cores : 1;
}

/* The host's memory in KiB. */
static unsigned long long host_memory_kib(void)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return 0;
	return (unsigned long long)si.totalram * si.mem_unit / 1024;
}

/* A topology value of one CPU from sysfs, or fallback. */
static unsigned cpu_topology(unsigned cpu, const char *what, unsigned fallback)
{
	char path[128];
	unsigned v = fallback;
	FILE *f;

	snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%u/topology/%s", cpu, what);
	f = fopen(path, "re");
	if (!f)
		return fallback;
	if (fscanf(f, "%u", &v) != 1)
		v = fallback;
	fclose(f);
	return v;
}

/* A CPU's thread siblings (a cpuset such as "0-1" or "0,4"), or itself. */
static void cpu_siblings(unsigned cpu, char *out, size_t size)
{
	char path[128];
	FILE *f;

	snprintf(out, size, "%u", cpu);
	snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", cpu);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(out, (int)size, f))
		out[strcspn(out, "\n")] = 0;
	if (!out[0] || strspn(out, "0123456789,-") != strlen(out))
		snprintf(out, size, "%u", cpu);
	fclose(f);
}

static char *finish_doc(FILE *f, char **buf, struct verr *e)
{
	if (ferror(f)) {
		fclose(f);
		free(*buf);
		verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
		return NULL;
	}
	fclose(f);
	return *buf;
}

/* vmm places no guest on a NUMA node, so the host is one cell holding all
 * memory and CPUs. */
/* A document written into memory; finish_doc hands it over. */
static FILE *open_doc(char **buf, size_t *len, struct verr *e)
{
	FILE *f = open_memstream(buf, len);

	if (!f)
		verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
	return f;
}

static char *capabilities_xml(const char *vmm_path, struct verr *e)
{
	struct host_cpu h;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_doc(&buf, &len, e);

	if (!f)
		return NULL;
	read_host_cpu(&h);
	fputs("<capabilities>\n  <host>\n    <cpu>\n      <arch>" HOST_ARCH "</arch>\n", f);
	if (h.model[0]) {
		fputs("      <model>", f);
		xml_escape(f, h.model);
		fputs("</model>\n", f);
	}
	if (h.vendor[0]) {
		fputs("      <vendor>", f);
		xml_escape(f, h.vendor);
		fputs("</vendor>\n", f);
	}
	fprintf(f, "      <topology sockets='%u' dies='1' cores='%u' threads='%u'/>\n", h.sockets, h.cores, h.threads);
	fputs("      <pages unit='KiB' size='4'/>\n    </cpu>\n", f);
	fprintf(f, "    <topology>\n      <cells num='1'>\n        <cell id='0'>\n"
		   "          <memory unit='KiB'>%llu</memory>\n          <cpus num='%u'>\n",
		host_memory_kib(), h.cpus);
	for (unsigned i = 0; i < h.cpus; i++) {
		char sib[64];

		cpu_siblings(i, sib, sizeof sib);
		fprintf(f, "            <cpu id='%u' socket_id='%u' die_id='%u' core_id='%u' siblings='%s'/>\n", i,
			cpu_topology(i, "physical_package_id", 0), cpu_topology(i, "die_id", 0),
			cpu_topology(i, "core_id", i), sib);
	}
	fputs("          </cpus>\n        </cell>\n      </cells>\n    </topology>\n", f);
	fputs("    <secmodel>\n      <model>none</model>\n      <doi>0</doi>\n    </secmodel>\n  </host>\n", f);
	/* vmm always builds ACPI tables and a local APIC: on, not switchable */
	fputs("  <guest>\n    <os_type>hvm</os_type>\n    <arch name='" HOST_ARCH "'>\n      <wordsize>64</wordsize>\n"
	      "      <emulator>",
	      f);
	xml_escape(f, vmm_path);
	fputs("</emulator>\n      <domain type='kvm'/>\n    </arch>\n    <features>\n"
	      "      <acpi default='on' toggle='no'/>\n      <apic default='on' toggle='no'/>\n"
	      "    </features>\n  </guest>\n</capabilities>\n",
	      f);
	return finish_doc(f, &buf, e);
}

static char *domain_capabilities_xml(const char *vmm_path, struct verr *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_doc(&buf, &len, e);

	if (!f)
		return NULL;
	fputs("<domainCapabilities>\n  <path>", f);
	xml_escape(f, vmm_path);
	/* no <machine>: vmm has one machine, and the domain XML takes no
	 * machine= for it; no <cpu> mode: the XML takes no <cpu> (the guest
	 * sees the host's CPUID) */
	fprintf(f, "</path>\n  <domain>kvm</domain>\n  <arch>" HOST_ARCH "</arch>\n  <vcpu max='%d'/>\n"
		   "  <iothreads supported='no'/>\n",
		DOMAIN_MAX_VCPUS);
	fputs("  <os supported='yes'>\n    <enum name='firmware'/>\n    <loader supported='no'/>\n  </os>\n", f);
	fputs("  <cpu>\n    <mode name='host-passthrough' supported='no'/>\n    <mode name='maximum' supported='no'/>\n"
	      "    <mode name='host-model' supported='no'/>\n    <mode name='custom' supported='no'/>\n  </cpu>\n",
	      f);
	fputs("  <devices>\n    <disk supported='yes'>\n      <enum name='diskDevice'>\n        <value>disk</value>\n"
	      "      </enum>\n      <enum name='bus'>\n        <value>virtio</value>\n      </enum>\n    </disk>\n"
	      "    <graphics supported='no'/>\n    <video supported='no'/>\n    <hostdev supported='no'/>\n"
	      "    <rng supported='no'/>\n    <filesystem supported='no'/>\n    <tpm supported='no'/>\n"
	      "    <redirdev supported='no'/>\n    <channel supported='no'/>\n  </devices>\n",
	      f);
	fputs("  <features>\n    <gic supported='no'/>\n    <vmcoreinfo supported='no'/>\n    <genid supported='no'/>\n"
	      "    <backingStoreInput supported='no'/>\n    <backup supported='no'/>\n    <sev supported='no'/>\n"
	      "  </features>\n</domainCapabilities>\n",
	      f);
	return finish_doc(f, &buf, e);
}

int proc_get_capabilities(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	char *xml = capabilities_xml(c->m->vmm_path, e);

	(void)a;
	if (!xml)
		return -1;
	xdr_put_string(out, xml);
	free(xml);
	return 0;
}

/* Arguments: emulatorbin, arch, machine, virttype (each may be NULL), flags.
 * A request for something else than this vmm's kvm x86_64 domains is
 * refused, naming it, as libvirt refuses what its driver lacks. */
int proc_get_domain_capabilities(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	const char *emulator = a->str[0], *arch = a->str[1], *machine = a->str[2], *virttype = a->str[3];
	char *xml;

	if (check_flags(a->num[0], 0, "virConnectGetDomainCapabilities", e) < 0)
		return -1;
	if (emulator && strcmp(emulator, c->m->vmm_path) != 0)
		return verr_set(e, VERR_INVALID_ARG, "emulator '%.200s' is not this daemon's vmm (%.200s)", emulator,
				c->m->vmm_path);
	if (arch && strcmp(arch, HOST_ARCH) != 0)
		return verr_set(e, VERR_INVALID_ARG, "architecture '%.100s' is not supported (only " HOST_ARCH ")",
				arch);
	if (virttype && strcmp(virttype, "kvm") != 0)
		return verr_set(e, VERR_INVALID_ARG, "virtualization type '%.100s' is not supported (only kvm)",
				virttype);
	if (machine)
		return verr_set(e, VERR_INVALID_ARG, "machine type '%.100s' is not supported (vmm has no machine types)",
				machine);
	xml = domain_capabilities_xml(c->m->vmm_path, e);
	if (!xml)
		return -1;
	xdr_put_string(out, xml);
	free(xml);
	return 0;
}

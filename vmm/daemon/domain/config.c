#include "daemon/domain/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

const char *const domain_timer_names[DOMAIN_TIMER_NAMES] = { "rtc", "pit", "hpet", "kvmclock" };
const char *const domain_timer_tickpolicies[5] = { "", "delay", "catchup", "merge", "discard" };
const char *const domain_timer_tracks[5] = { "", "boot", "guest", "wall", "realtime" };

void domain_config_free(struct domain_config *c)
{
	if (!c)
		return;
	free(c->title);
	free(c->description);
	free(c->metadata_other);
	free(c->kernel);
	free(c->initrd);
	free(c->cmdline);
	free(c->emulator);
	for (unsigned i = 0; i < c->ndisks; i++)
		free(c->disks[i].file);
	for (unsigned i = 0; i < c->npublish; i++) {
		free(c->publish[i].host);
		free(c->publish[i].unix_path);
	}
	for (unsigned i = 0; i < c->site.nhosts; i++)
		free(c->site.hosts[i]);
	free(c->site.tls_cert);
	free(c->site.tls_key);
	free(c);
}

uint64_t domain_mem_limit_kib(const struct domain_config *c)
{
	return c->tune.hard_limit_kib ? c->tune.hard_limit_kib : c->mem_kib + DOMAIN_MEM_OVERHEAD_KIB;
}

uint64_t domain_cpu_shares(const struct domain_config *c)
{
	return c->tune.shares ? c->tune.shares : DOMAIN_CPU_SHARES_DEFAULT;
}

uint64_t domain_cpu_period_us(const struct domain_config *c)
{
	return c->tune.period_us ? c->tune.period_us : DOMAIN_CPU_PERIOD_DEFAULT;
}

int64_t domain_cpu_quota_us(const struct domain_config *c)
{
	return c->tune.quota_us ? c->tune.quota_us : -1;
}

uint64_t domain_pids_max(const struct domain_config *c)
{
	return (uint64_t)c->vcpus + DOMAIN_PIDS_EXTRA;
}

const char *site_host_check(const char *name)
{
	size_t n = strlen(name), label = 0;

	if (n == 0)
		return "host name is empty";
	if (n > SITE_HOST_MAX)
		return "host name is longer than 253 bytes";
	if (strchr(name, '*'))
		return "wildcard host names are not supported";
	for (size_t i = 0; i <= n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch == '.' || ch == 0) {
			if (label == 0)
				return !ch && i > 0 ? "host name must not end with '.'" : "host name has an empty label";
			if (name[i - 1] == '-')
				return "a label of a host name must not end with '-'";
			label = 0;
			continue;
		}
		if (ch >= 0x80)
			return "host name is not ASCII (use its punycode form, xn--...)";
		if (!isalnum(ch) && ch != '-')
			return ch == ' ' ? "host name contains a space"
					 : "host name may only hold letters, digits, '-' and '.'";
		if (label == 0 && ch == '-')
			return "a label of a host name must not start with '-'";
		if (++label > 63)
			return "a label of a host name is longer than 63 bytes";
	}
	return NULL;
}

bool site_host_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

const char *domain_name_check(const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return "name must not be empty";
	if (n > DOMAIN_NAME_MAX)
		return "name is longer than 64 characters";
	if (name[0] == '.')
		return "name must not start with '.'";
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p == '/')
			return "name must not contain '/'";
		if (*p < 0x20 || *p == 0x7f)
			return "name must not contain control characters";
	}
	return NULL;
}

void uuid_format(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
		 u[14], u[15]);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Accepts libvirt's forms: 32 hex digits, optionally with '-' between bytes,
 * surrounding blanks allowed. */
int uuid_parse(const char *s, uint8_t u[16])
{
	unsigned i = 0;

	while (isspace((unsigned char)*s))
		s++;
	while (i < 16) {
		int hi, lo;

		if (*s == '-') {
			s++;
			continue;
		}
		hi = hexval((unsigned char)s[0]);
		lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);
		if (lo < 0)
			return -1;
		u[i++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	while (isspace((unsigned char)*s))
		s++;
	return *s ? -1 : 0;
}

int uuid_generate(uint8_t u[16])
{
	if (getrandom(u, 16, 0) != 16)
		return -1;
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	return 0;
}

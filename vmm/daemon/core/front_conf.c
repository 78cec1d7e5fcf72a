#include "daemon/core/front_conf.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *front_addr_parse(const char *s, struct front_addr *out)
{
	char addr[64], buf[16];
	const char *colon = strrchr(s, ':');
	unsigned char bin[16];
	size_t alen;
	char *end;
	long port;
	bool v6;

	if (!colon || colon == s)
		return "use ADDR:PORT (IPv4, or [IPv6])";
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 1 || port > 65535)
		return "the port must be a number from 1 to 65535";
	alen = (size_t)(colon - s);
	v6 = s[0] == '[';
	if (v6 && (alen < 3 || s[alen - 1] != ']'))
		return "an IPv6 address goes in brackets: [::1]:443";
	if (v6)
		s++, alen -= 2;
	if (alen >= sizeof addr)
		return "the address is too long";
	memcpy(addr, s, alen);
	addr[alen] = 0;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, bin) != 1)
		return "the address must be a numeric IPv4 or [IPv6] address";
	snprintf(buf, sizeof buf, "%ld", port);
	snprintf(out->text, sizeof out->text, v6 ? "[%s]:%s" : "%s:%s", addr, buf);
	return NULL;
}

/* An upstream name nginx accepts whatever the domain is called. */
static void upstream_name(char *out, const struct domain_config *c)
{
	static const char hex[] = "0123456789abcdef";

	memcpy(out, "site_", 5);
	for (int i = 0; i < 16; i++) {
		out[5 + 2 * i] = hex[c->uuid[i] >> 4];
		out[6 + 2 * i] = hex[c->uuid[i] & 15];
	}
	out[37] = 0;
}

/* Idle kept-alive connections must close before the site's idle clock
 * would run out, or an on-demand site never stops. */
static unsigned keepalive_ms(const struct domain_site *s)
{
	unsigned ms = 60000;

	if (s->on_demand && s->idle_stop_s && s->idle_stop_s * 500u < ms)
		ms = s->idle_stop_s * 500u;
	return ms;
}

static void names(FILE *f, const struct domain_site *s)
{
	fputs("        server_name", f);
	for (unsigned i = 0; i < s->nhosts; i++)
		fprintf(f, " %s", s->hosts[i]);
	fputs(";\n", f);
}

static void proxy(FILE *f, const char *up, bool waf)
{
	if (waf)
		fputs("        modsecurity on;\n", f);
	fprintf(f, "        location / {\n            proxy_pass http://%s;\n        }\n", up);
}

static void site(FILE *f, const struct front_spec *spec, const struct front_site *st)
{
	const struct domain_site *s = &st->c->site;
	char up[40];

	upstream_name(up, st->c);
	fprintf(f, "    # domain %s\n", st->c->name[0] && !strpbrk(st->c->name, "\r\n") ? st->c->name : "?");
	fprintf(f, "    upstream %s {\n        server unix:%s;\n        keepalive 16;\n"
		   "        keepalive_timeout %ums;\n    }\n",
		up, st->socket, keepalive_ms(s));
	if (spec->nhttp) {
		fputs("    server {\n", f);
		for (unsigned i = 0; i < spec->nhttp; i++)
			fprintf(f, "        listen %s;\n", spec->http[i].text);
		names(f, s);
		proxy(f, up, s->waf);
		fputs("    }\n", f);
	}
	if (spec->ntls && s->tls_cert) {
		fputs("    server {\n", f);
		for (unsigned i = 0; i < spec->ntls; i++)
			fprintf(f, "        listen %s ssl;\n", spec->tls[i].text);
		names(f, s);
		fprintf(f, "        ssl_certificate %s;\n        ssl_certificate_key %s;\n", s->tls_cert, s->tls_key);
		proxy(f, up, s->waf);
		fputs("    }\n", f);
	}
}

void front_conf_write(FILE *f, const struct front_spec *spec, const struct front_site *sites, size_t n)
{
	size_t nnames = 0;
	unsigned hash = 512;
	bool waf = false;

	for (size_t i = 0; i < n; i++) {
		nnames += sites[i].c->site.nhosts;
		waf |= sites[i].c->site.waf;
	}
	while (hash < 2 * nnames && hash < (1u << 24))
		hash *= 2;
	fputs("# Written by vmmd for its front door; it is rewritten on every change.\n", f);
	if (waf && spec->modsec_module)
		fprintf(f, "load_module %s;\n", spec->modsec_module);
	if (spec->user)
		fprintf(f, "user %s %s;\n", spec->user, spec->group);
	fprintf(f, "daemon off;\nmaster_process on;\nworker_processes %u;\n", spec->workers);
	fprintf(f, "pid %s/nginx.pid;\nerror_log %s/error.log warn;\n", spec->dir, spec->dir);
	fputs("events {\n    worker_connections 4096;\n}\n", f);
	fputs("http {\n", f);
	fprintf(f, "    access_log %s/access.log;\n", spec->dir);
	fprintf(f, "    client_body_temp_path %s/tmp/body;\n    proxy_temp_path %s/tmp/proxy;\n"
		   "    fastcgi_temp_path %s/tmp/fastcgi;\n    uwsgi_temp_path %s/tmp/uwsgi;\n"
		   "    scgi_temp_path %s/tmp/scgi;\n",
		spec->dir, spec->dir, spec->dir, spec->dir, spec->dir);
	fprintf(f, "    server_names_hash_max_size %u;\n    server_names_hash_bucket_size 512;\n", hash);
	fputs("    server_tokens off;\n    keepalive_timeout 65s;\n", f);
	fputs("    proxy_http_version 1.1;\n    proxy_set_header Connection \"\";\n"
	      "    proxy_set_header Host $host;\n    proxy_set_header X-Real-IP $remote_addr;\n"
	      "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
	      "    proxy_set_header X-Forwarded-Proto $scheme;\n", f);
	if (waf && spec->modsec_module)
		fprintf(f, "    modsecurity off;\n    modsecurity_rules_file %s;\n", spec->modsec_rules);
	/* hosts nobody claimed: answered here, never by a site */
	if (spec->nhttp) {
		fputs("    server {\n", f);
		for (unsigned i = 0; i < spec->nhttp; i++)
			fprintf(f, "        listen %s default_server;\n", spec->http[i].text);
		fputs("        return 404;\n    }\n", f);
	}
	if (spec->ntls) {
		fputs("    server {\n", f);
		for (unsigned i = 0; i < spec->ntls; i++)
			fprintf(f, "        listen %s ssl default_server;\n", spec->tls[i].text);
		fprintf(f, "        ssl_certificate %s;\n        ssl_certificate_key %s;\n", spec->fallback_cert,
			spec->fallback_key);
		fputs("        return 421;\n    }\n", f);
	}
	for (size_t i = 0; i < n; i++)
		site(f, spec, &sites[i]);
	fputs("}\n", f);
}

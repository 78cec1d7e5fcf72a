/* The domain XML parser and formatter, directly. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_suite.h"
#include "daemon/domain/xml.h"
#include "suites.h"

static struct domain_config *parse(const char *xml, struct verr *e)
{
	return domain_xml_parse(xml, strlen(xml), e);
}

#define OS "<os><type>hvm</type><kernel>/k</kernel></os>"

START_TEST(minimal_gets_defaults)
{
	struct verr e;
	struct domain_config *c = parse("<domain type='kvm'><name>a</name><memory>65536</memory>" OS "</domain>", &e);

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->name, "a");
	ck_assert_uint_eq(c->mem_kib, 65536);
	ck_assert_uint_eq(c->cur_mem_kib, 65536);
	ck_assert_uint_eq(c->vcpus, 1);
	ck_assert_int_eq(c->on_reboot, ACTION_RESTART);
	ck_assert_int_eq(c->on_poweroff, ACTION_DESTROY);
	/* cgroup limits: none set, the defaults in force */
	ck_assert_uint_eq(domain_mem_limit_kib(c), 65536 + DOMAIN_MEM_OVERHEAD_KIB);
	ck_assert_uint_eq(domain_cpu_shares(c), 1024);
	ck_assert_uint_eq(domain_cpu_period_us(c), 100000);
	ck_assert_int_eq(domain_cpu_quota_us(c), -1);
	ck_assert_uint_eq(domain_pids_max(c), 1 + DOMAIN_PIDS_EXTRA);
	{
		char *xml = domain_xml_format(c, -1);

		ck_assert_ptr_null(strstr(xml, "tune>")); /* not set: not shown, as libvirt does */
		free(xml);
	}
	domain_config_free(c);
}
END_TEST

#define TUNE(x) "<domain type='kvm'><name>a</name><memory>65536</memory>" x OS "</domain>"

START_TEST(tune_rejections_name_the_problem)
{
	static const struct {
		const char *xml, *msg;
	} cases[] = {
		{ TUNE("<memtune><soft_limit>1</soft_limit></memtune>"), "unsupported element <soft_limit> in <memtune>" },
		{ TUNE("<memtune><hard_limit unit='KiB'>0</hard_limit></memtune>"), "<hard_limit> must be between" },
		{ TUNE("<memtune><hard_limit unit='parsec'>1</hard_limit></memtune>"), "parsec" },
		{ TUNE("<memtune><hard_limit>-5</hard_limit></memtune>"), "invalid value '-5'" },
		{ TUNE("<memtune><hard_limit>65536</hard_limit><hard_limit>65536</hard_limit></memtune>"),
		  "duplicate <hard_limit>" },
		{ TUNE("<memtune/><memtune/>"), "duplicate element <memtune>" },
		{ TUNE("<cputune><shares>1</shares></cputune>"), "<shares>1</shares> in <cputune>: use 2 to 262144" },
		{ TUNE("<cputune><shares>many</shares></cputune>"), "<shares>many</shares>" },
		{ TUNE("<cputune><period>999</period></cputune>"), "use 1000 to 1000000" },
		{ TUNE("<cputune><period>1000001</period></cputune>"), "use 1000 to 1000000" },
		{ TUNE("<cputune><quota>0</quota></cputune>"), "use -1 (no limit) or 1000 to" },
		{ TUNE("<cputune><quota>-2</quota></cputune>"), "<quota>-2</quota>" },
		{ TUNE("<cputune><quota>17592186044416</quota></cputune>"), "17592186044415" },
		{ TUNE("<cputune><emulator_period>1000</emulator_period></cputune>"), "<emulator_period> in <cputune>" },
		{ TUNE("<cputune><shares>10</shares><shares>10</shares></cputune>"), "duplicate <shares>" },
		{ TUNE("<cputune><shares a='1'>10</shares></cputune>"), "attribute 'a'" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct verr e;
		struct domain_config *c = parse(cases[i].xml, &e);

		ck_assert_msg(!c, "case %zu accepted", i);
		ck_assert_msg(strstr(e.msg, cases[i].msg), "case %zu: '%s' lacks '%s'", i, e.msg, cases[i].msg);
	}
}
END_TEST

START_TEST(rejections_name_the_problem)
{
	static const struct {
		const char *xml, *msg;
	} cases[] = {
		{ "<domain type='qemu'><name>a</name><memory>65536</memory>" OS "</domain>", "type 'qemu'" },
		{ "<domain type='kvm'><name>a/b</name><memory>65536</memory>" OS "</domain>", "'/'" },
		{ "<domain type='kvm'><name>.a</name><memory>65536</memory>" OS "</domain>", "start with '.'" },
		{ "<domain type='kvm'><name>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</name>"
		  "<memory>65536</memory>" OS "</domain>", "longer than 64" },
		{ "<domain type='kvm'><name>a</name><memory>65536</memory>" OS "<clock offset='localtime'/></domain>",
		  "clock offset 'localtime' is not supported" },
		{ "<domain type='kvm'><name>a</name><memory>65536</memory>" OS
		  "<devices><interface type='network'/></devices></domain>", "<interface>" },
		{ "<domain type='kvm'><name>a</name><memory unit='parsec'>1</memory>" OS "</domain>", "parsec" },
		{ "<domain type='kvm'><name>a</name><memory>99999999999999999999999</memory>" OS "</domain>", "invalid" },
		{ "<domain type='kvm'><name>a</name><memory>65536</memory><vcpu>0</vcpu>" OS "</domain>", "vcpu" },
		{ "<domain type='kvm'><name>a</name><memory>65536</memory>" OS "<on_crash>preserve</on_crash></domain>",
		  "preserve" },
		{ "<domain type='kvm'><name>a</name><name>b</name><memory>65536</memory>" OS "</domain>", "duplicate" },
		{ "<domain type='kvm'><name>a</name><memory>65536</memory></domain>", "missing <os>" },
		{ "<domain type='kvm'><name>a</name><memory>65536</memory>" OS "<metadata><vmm:vsock "
		  "xmlns:vmm='" VMM_XML_NS "'><vmm:publish host='80' guest='80'/></vmm:vsock></metadata></domain>",
		  "need a <vsock>" },
		{ "<domain type='kvm'><name>a</name><memory>65536</memory>" OS
		  "<devices><disk type='block'><source dev='/dev/sda'/></disk></devices></domain>", "type='block'" },
		{ "<domain type='kvm'><name>a</name>", "XML error" },
		{ "<domain type='kvm' foo='1'><name>a</name><memory>65536</memory>" OS "</domain>", "'foo'" },
		{ "<domain type='kvm'><name>a</name><memory>65536</memory>" OS "<metadata><vmm:site xmlns:vmm='"
		  VMM_XML_NS "'><vmm:host name='a.example'/></vmm:site></metadata></domain>", "needs a <vsock>" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct verr e;
		struct domain_config *c = parse(cases[i].xml, &e);

		ck_assert_msg(!c, "case %zu accepted", i);
		ck_assert_msg(strstr(e.msg, cases[i].msg), "case %zu: '%s' lacks '%s'", i, e.msg, cases[i].msg);
	}
}
END_TEST

static const char full[] =
	"<domain type='kvm'><name>site</name><uuid>11111111-2222-3333-4444-555555555555</uuid>"
	"<metadata><vmm:vsock xmlns:vmm='" VMM_XML_NS "'><vmm:publish host='127.0.0.1:8080' guest='80'/>"
	"<vmm:publish unix='/run/s.sock' guest='81'/></vmm:vsock></metadata>"
	"<memory unit='GiB'>1</memory><currentMemory unit='MiB'>512</currentMemory><vcpu>2</vcpu>"
	"<memtune><hard_limit unit='MiB'>1100</hard_limit></memtune>"
	"<cputune><shares>2048</shares><period>20000</period><quota>-1</quota></cputune>"
	"<os><type arch='x86_64'>hvm</type><kernel>/k</kernel><initrd>/i</initrd><cmdline>a &amp; b</cmdline></os>"
	"<features><acpi/></features><on_crash>restart</on_crash>"
	"<devices><disk type='file' device='disk'><source file='/img'/><target dev='vda' bus='virtio'/><readonly/>"
	"</disk><vsock model='virtio'><cid auto='no' address='7'/></vsock></devices></domain>";

START_TEST(round_trip_and_schema)
{
	struct verr e;
	struct domain_config *c = parse(full, &e), *c2;
	char *xml, *xml2, cmd[256];
	FILE *f;

	ck_assert_msg(c != NULL, "%s", e.msg);
	ck_assert_uint_eq(c->mem_kib, 1u << 20);
	ck_assert_uint_eq(c->cur_mem_kib, 512u * 1024);
	ck_assert_uint_eq(c->ndisks, 1);
	ck_assert(c->disks[0].readonly);
	ck_assert_uint_eq(c->npublish, 2);
	ck_assert_uint_eq(c->cid, 7);
	ck_assert_str_eq(c->cmdline, "a & b");
	ck_assert_uint_eq(domain_mem_limit_kib(c), 1100u * 1024);
	ck_assert_uint_eq(domain_cpu_shares(c), 2048);
	ck_assert_uint_eq(domain_cpu_period_us(c), 20000);
	ck_assert_int_eq(domain_cpu_quota_us(c), -1);
	ck_assert_uint_eq(domain_pids_max(c), 2 + DOMAIN_PIDS_EXTRA);
	xml = domain_xml_format(c, 4);
	c2 = parse(xml, &e);
	ck_assert_msg(c2 != NULL, "%s", e.msg);
	xml2 = domain_xml_format(c2, 4);
	ck_assert_str_eq(xml, xml2);
	ck_assert_ptr_nonnull(strstr(xml, "<memtune>\n    <hard_limit unit='KiB'>1126400</hard_limit>\n  </memtune>"));
	ck_assert_ptr_nonnull(strstr(xml, "<shares>2048</shares>\n    <period>20000</period>\n    <quota>-1</quota>"));
	f = fopen("/tmp/vmmd-xml-check.xml", "w");
	fputs(xml, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "virt-xml-validate /tmp/vmmd-xml-check.xml domain >/dev/null 2>&1");
	ck_assert_int_eq(system(cmd), 0);
	unlink("/tmp/vmmd-xml-check.xml");
	free(xml);
	free(xml2);
	domain_config_free(c);
	domain_config_free(c2);
}
END_TEST

#define VSOCK "<devices><vsock model='virtio'><cid auto='yes'/></vsock></devices>"
#define SITE(attrs, inner)                                                                                \
	"<domain type='kvm'><name>a</name><memory>65536</memory>" OS VSOCK "<metadata><vmm:site xmlns:vmm='" \
	VMM_XML_NS "'" attrs ">" inner "</vmm:site></metadata></domain>"

START_TEST(site_round_trip_and_defaults)
{
	static const char xml[] = SITE(" on-demand='yes'", "<vmm:host name='Shop.example'/><vmm:host name='xn--bcher-kva.example'/>"
				       "<vmm:tls cert='/c.pem' key='/k.pem'/><vmm:waf/>");
	struct verr e;
	struct domain_config *c = parse(xml, &e), *c2;
	char *out, *out2, cmd[256];
	FILE *f;

	ck_assert_msg(c != NULL, "%s", e.msg);
	ck_assert(c->site.present && c->site.on_demand && c->site.waf);
	ck_assert_uint_eq(c->site.idle_stop_s, SITE_IDLE_STOP_DEFAULT);
	ck_assert_uint_eq(c->site.guest_port, 80);
	ck_assert_uint_eq(c->site.nhosts, 2);
	ck_assert_str_eq(c->site.tls_key, "/k.pem");
	out = domain_xml_format(c, -1);
	ck_assert_ptr_null(strstr(out, "idle-stop")); /* left out: stays out */
	ck_assert_ptr_nonnull(strstr(out, "<vmm:host name='Shop.example'/>"));
	c2 = parse(out, &e);
	ck_assert_msg(c2 != NULL, "%s", e.msg);
	out2 = domain_xml_format(c2, -1);
	ck_assert_str_eq(out, out2);
	f = fopen("/tmp/vmmd-site-check.xml", "w");
	fputs(out, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "virt-xml-validate /tmp/vmmd-site-check.xml domain >/dev/null 2>&1");
	ck_assert_int_eq(system(cmd), 0);
	unlink("/tmp/vmmd-site-check.xml");
	ck_assert(site_host_equal("shop.EXAMPLE", "Shop.example"));
	free(out);
	free(out2);
	domain_config_free(c);
	domain_config_free(c2);
}
END_TEST

START_TEST(site_rejections_name_the_problem)
{
	static const struct {
		const char *xml, *msg;
	} cases[] = {
		{ SITE("", ""), "at least one <vmm:host" },
		{ SITE("", "<vmm:host name='a b.example'/>"), "space" },
		{ SITE("", "<vmm:host name='*.example'/>"), "wildcard" },
		{ SITE("", "<vmm:host name='b\xc3\xbc" "cher.example'/>"), "punycode" },
		{ SITE("", "<vmm:host name='a.example.'/>"), "end with '.'" },
		{ SITE("", "<vmm:host name='a..example'/>"), "empty label" },
		{ SITE("", "<vmm:host name='-a.example'/>"), "start with '-'" },
		{ SITE("", "<vmm:host name='a_b.example'/>"), "letters, digits" },
		{ SITE("", "<vmm:host name='aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example'/>"),
		  "longer than 63" },
		{ SITE("", "<vmm:host name='a.example'/><vmm:host name='A.EXAMPLE'/>"), "listed twice" },
		{ SITE(" idle-stop='5'", "<vmm:host name='a.example'/>"), "needs on-demand='yes'" },
		{ SITE(" on-demand='maybe'", "<vmm:host name='a.example'/>"), "'yes' or 'no'" },
		{ SITE(" on-demand='yes' idle-stop='-1'", "<vmm:host name='a.example'/>"), "a number from 0" },
		{ SITE(" port='0'", "<vmm:host name='a.example'/>"), "port='0'" },
		{ SITE("", "<vmm:host name='a.example'/><vmm:tls cert='rel.pem' key='/k'/>"), "absolute path" },
		{ SITE("", "<vmm:host name='a.example'/><vmm:tls cert='/c;x' key='/k'/>"), "absolute path" },
		{ SITE("", "<vmm:host name='a.example'/><vmm:tls cert='/c'/>"), "needs cert='...' and key" },
		{ SITE("", "<vmm:host name='a.example'/><vmm:waf/><vmm:waf/>"), "more than one <vmm:waf>" },
		{ SITE("", "<vmm:host name='a.example'/><vmm:proxy/>"), "<proxy>" },
		{ SITE(" color='red'", "<vmm:host name='a.example'/>"), "'color'" },
	};
	char name[300];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct verr e;
		struct domain_config *c = parse(cases[i].xml, &e);

		ck_assert_msg(!c, "case %zu accepted", i);
		ck_assert_msg(strstr(e.msg, cases[i].msg), "case %zu: '%s' lacks '%s'", i, e.msg, cases[i].msg);
	}
	memset(name, 'a', 254);
	for (int k = 63; k < 254; k += 64)
		name[k] = '.';
	name[254] = 0;
	ck_assert_ptr_nonnull(strstr(site_host_check(name), "253"));
	name[253] = 0;
	ck_assert_ptr_null(site_host_check(name));
}
END_TEST

/* The review's document: one 400 KB entity used 2,000 times. It used to
 * take 19 s and 800 MB when its text was read; now the DOCTYPE ends the
 * parse before the entity is even read. CPU time, so a busy host does not
 * make it fail. */
START_TEST(doctype_refused_before_its_entities)
{
	static const char head[] = "<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY e \"";
	static const char mid[] = "\">]>\n<domain type='kvm'><name>ent</name><title>";
	static const char tail[] = "</title><memory>65536</memory>" OS "</domain>";
	size_t n = sizeof head - 1 + 400000 + sizeof mid - 1 + 2000 * 3 + sizeof tail;
	char *xml = malloc(n), *w = xml;
	struct timespec a, b;
	struct verr e;
	double ms;

	ck_assert_ptr_nonnull(xml);
	w = stpcpy(w, head);
	memset(w, 'A', 400000);
	w = stpcpy(w + 400000, mid);
	for (int i = 0; i < 2000; i++)
		w = stpcpy(w, "&e;");
	strcpy(w, tail);
	parse(OS, &e); /* libxml2's one-time set-up is not the document's cost */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	ck_assert_ptr_null(parse(xml, &e));
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	ck_assert_msg(strstr(e.msg, "XML error: (domain_definition): a DOCTYPE is not allowed"), "%s", e.msg);
	ck_assert_msg(ms < 10, "refusing it took %.1f ms of CPU", ms);
	free(xml);
}
END_TEST

START_TEST(no_dtd_no_entities)
{
	static const char *const doctypes[] = {
		"<!DOCTYPE domain><domain type='kvm'/>",
		"<!DOCTYPE domain SYSTEM 'http://127.0.0.1:1/x.dtd'><domain type='kvm'/>",
		"<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain type='kvm'><name>&x;</name></domain>",
		"<!DOCTYPE domain [<!ENTITY % p SYSTEM 'file:///etc/passwd'> %p;]><domain type='kvm'/>",
		"<?xml version='1.0'?><!-- first --><!DOCTYPE domain [<!ATTLIST domain type CDATA 'kvm'>]><domain/>",
	};
	/* the same in UTF-16, with its byte order mark */
	static const char utf16[] = "\xff\xfe<\0!\0D\0O\0C\0T\0Y\0P\0E\0 \0d\0>\0<\0d\0/\0>\0";
	struct verr e;

	for (size_t i = 0; i < sizeof doctypes / sizeof doctypes[0]; i++) {
		ck_assert_msg(!parse(doctypes[i], &e), "case %zu accepted", i);
		ck_assert_msg(strstr(e.msg, "DOCTYPE is not allowed"), "case %zu: %s", i, e.msg);
	}
	ck_assert_ptr_null(domain_xml_parse(utf16, sizeof utf16 - 1, &e));
	ck_assert_msg(strstr(e.msg, "DOCTYPE is not allowed"), "UTF-16: %s", e.msg);
	/* without a DTD only XML's own five entities exist */
	ck_assert_ptr_null(parse("<domain type='kvm'><name>&x;</name><memory>65536</memory>" OS "</domain>", &e));
	ck_assert_msg(strstr(e.msg, "Entity 'x' not defined"), "%s", e.msg);
}
END_TEST

/* A document of one element's text or attribute of n bytes of ch. */
static char *with_value(const char *before, size_t n, char ch, const char *after)
{
	char *xml = malloc(strlen(before) + n + strlen(after) + 1);

	ck_assert_ptr_nonnull(xml);
	strcpy(xml, before);
	memset(xml + strlen(before), ch, n);
	strcpy(xml + strlen(before) + n, after);
	return xml;
}

#define DOM_ "<domain type='kvm'><name>a</name><memory>65536</memory>"

START_TEST(every_value_is_capped)
{
	static const struct {
		const char *before, *after;
		size_t max;
		const char *msg;
	} cases[] = {
		{ DOM_ "<os><type>hvm</type><kernel>/k</kernel><cmdline>", "</cmdline></os></domain>", DOMAIN_VALUE_MAX,
		  "<cmdline> is 4096 bytes long (at most 4095)" },
		{ DOM_ "<os><type>hvm</type><kernel>/", "</kernel></os></domain>", DOMAIN_VALUE_MAX - 1,
		  "<kernel> is 4096 bytes long" },
		{ DOM_ "<os><type>hvm</type><kernel>/k</kernel><initrd>/", "</initrd></os></domain>", DOMAIN_VALUE_MAX - 1,
		  "<initrd> is 4096 bytes long" },
		{ DOM_ "<title>", "</title>" OS "</domain>", DOMAIN_VALUE_MAX, "<title> is 4096 bytes long" },
		{ DOM_ "<description>", "</description>" OS "</domain>", DOMAIN_DESCRIPTION_MAX,
		  "<description> is 32769 bytes long (at most 32768)" },
		{ DOM_ OS "<devices><disk type='file'><source file='/", "'/><target dev='vda'/></disk></devices></domain>",
		  DOMAIN_VALUE_MAX - 1, "attribute 'file' of <source> is 4096 bytes long (at most 4095)" },
		{ DOM_ OS "<on_crash>", "</on_crash></domain>", DOMAIN_VALUE_MAX, "<on_crash> is 4096 bytes long" },
		{ DOM_ OS "<devices><vsock><cid auto='yes'/></vsock></devices><metadata><vmm:vsock xmlns:vmm='" VMM_XML_NS
			  "'><vmm:publish guest='80' host='",
		  "'/></vmm:vsock></metadata></domain>", DOMAIN_VALUE_MAX, "attribute 'host' of <publish> is 4096" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *ok = with_value(cases[i].before, cases[i].max, ' ', cases[i].after);
		char *over = with_value(cases[i].before, cases[i].max + 1, ' ', cases[i].after);
		struct domain_config *c;
		struct verr e;

		/* at the cap the value is read (and may fail a later check) */
		c = parse(ok, &e);
		ck_assert_msg(c || !strstr(e.msg, "bytes long"), "case %zu at the cap: %s", i, e.msg);
		domain_config_free(c);
		ck_assert_msg(!parse(over, &e), "case %zu accepted over the cap", i);
		ck_assert_msg(strstr(e.msg, cases[i].msg), "case %zu: '%s' lacks '%s'", i, e.msg, cases[i].msg);
		free(ok);
		free(over);
	}
}
END_TEST

/* Every value at its cap and every count at its maximum, all of it in the
 * character that escapes the longest: what vmmd writes back still fits
 * DOMAIN_XML_MAX, so any definition it accepts can be saved and loaded. */
START_TEST(the_largest_domain_fits_the_cap)
{
	size_t size = 1u << 20, used;
	char *xml = malloc(size), *w = xml, *out, *out2;
	struct domain_config *c, *c2;
	struct verr e;

#define PUT(...) (w += sprintf(w, __VA_ARGS__))
#define FILL(ch, n) (memset(w, ch, n), w += (n))
	ck_assert_ptr_nonnull(xml);
	PUT("<domain type='kvm'><name>");
	FILL('"', DOMAIN_NAME_MAX);
	PUT("</name><title>");
	FILL('"', DOMAIN_VALUE_MAX);
	PUT("</title><description>");
	FILL('"', DOMAIN_DESCRIPTION_MAX);
	PUT("</description><memory>65536</memory><os><type>hvm</type><kernel>/");
	FILL('"', DOMAIN_VALUE_MAX - 1);
	PUT("</kernel><initrd>/");
	FILL('"', DOMAIN_VALUE_MAX - 1);
	PUT("</initrd><cmdline>");
	FILL('"', DOMAIN_VALUE_MAX);
	PUT("</cmdline></os><devices>");
	for (int i = 0; i < DOMAIN_MAX_DISKS; i++) {
		PUT("<disk type='file'><source file='/");
		FILL('"', DOMAIN_VALUE_MAX - 2);
		PUT("%c'/><target dev='vd%c'/></disk>", 'a' + i, 'a' + i);
	}
	PUT("<vsock><cid auto='yes'/></vsock></devices><metadata><vmm:vsock xmlns:vmm='" VMM_XML_NS "'>");
	for (int i = 0; i < DOMAIN_MAX_PUBLISH; i++) {
		PUT("<vmm:publish guest='80' unix='/");
		FILL('"', 104);
		PUT("%02d'/>", i);
	}
	PUT("</vmm:vsock><vmm:site xmlns:vmm='" VMM_XML_NS "'>");
	for (int i = 0; i < SITE_MAX_HOSTS; i++) {
		/* labels of 63, 63, 63 and 61 bytes: 253 */
		PUT("<vmm:host name='%02d", i);
		FILL('a', 61);
		PUT(".");
		FILL('a', 63);
		PUT(".");
		FILL('a', 63);
		PUT(".");
		FILL('a', 61);
		PUT("'/>");
	}
	PUT("<vmm:tls cert='/");
	for (int k = 0; k < 1023; k++)
		PUT("&amp;");
	PUT("' key='/");
	for (int k = 0; k < 1023; k++)
		PUT("&amp;");
	PUT("'/></vmm:site></metadata></domain>");
#undef PUT
#undef FILL
	used = (size_t)(w - xml);
	ck_assert_uint_lt(used, size);
	c = domain_xml_parse(xml, used, &e);
	ck_assert_msg(c != NULL, "%s", e.msg);
	ck_assert_uint_eq(c->ndisks, DOMAIN_MAX_DISKS);
	ck_assert_uint_eq(c->npublish, DOMAIN_MAX_PUBLISH);
	ck_assert_uint_eq(c->site.nhosts, SITE_MAX_HOSTS);
	out = domain_xml_format(c, 4);
	ck_assert_msg(strlen(out) <= DOMAIN_XML_MAX, "formatted: %zu bytes", strlen(out));
	ck_assert_uint_gt(strlen(out), 700000); /* it did grow: the escapes count */
	c2 = parse(out, &e);
	ck_assert_msg(c2 != NULL, "%s", e.msg);
	out2 = domain_xml_format(c2, 4);
	ck_assert_str_eq(out, out2);
	free(out);
	free(out2);
	free(xml);
	domain_config_free(c);
	domain_config_free(c2);
}
END_TEST

/* virt-install's <clock>: accepted, given back as written, valid for
 * libvirt's schema; what vmm's machine cannot be is refused by name */
START_TEST(clock_of_virt_install)
{
	static const char xml[] =
		"<domain type='kvm'><name>c</name><memory>65536</memory>" OS
		"<clock offset='utc'><timer name='rtc' tickpolicy='catchup'/><timer name='pit' tickpolicy='delay'/>"
		"<timer name='hpet' present='no'/></clock></domain>";
	static const struct {
		const char *clock, *msg;
	} bad[] = {
		{ "<clock offset='localtime'/>", "clock offset 'localtime' is not supported: vmm's guests keep UTC" },
		{ "<clock offset='variable' basis='utc'/>", "'basis'" },
		{ "<clock offset='timezone' timezone='Europe/Paris'/>", "'timezone'" },
		{ "<clock offset='moon'/>", "Invalid value for attribute 'offset' in element 'clock': 'moon'" },
		{ "<clock offset='utc' adjustment='3600'/>", "clock adjustment '3600' is not supported" },
		{ "<clock offset='utc'><timer name='tsc' frequency='1000'/></clock>", "'frequency'" },
		{ "<clock offset='utc'><timer name='tsc'/></clock>", "timer 'tsc' is not supported by vmm" },
		{ "<clock offset='utc'><timer name='sundial'/></clock>", "unknown timer name 'sundial'" },
		{ "<clock offset='utc'><timer name='rtc' tickpolicy='later'/></clock>", "unknown timer tickpolicy 'later'" },
		{ "<clock offset='utc'><timer name='pit' track='wall'/></clock>", "track is only valid with timer 'rtc'" },
		{ "<clock offset='utc'><timer name='pit' present='no'/></clock>", "always has the timer 'pit'" },
		{ "<clock offset='utc'><timer name='hpet' present='yes'/></clock>", "has no HPET" },
		{ "<clock offset='utc'><timer name='rtc' present='maybe'/></clock>", "'present'" },
		{ "<clock offset='utc'><timer name='rtc'/><timer name='rtc'/></clock>", "duplicate timer 'rtc'" },
		{ "<clock offset='utc'><timer name='rtc'><catchup threshold='1'/></timer></clock>", "<catchup>" },
		{ "<clock offset='utc'><tick/></clock>", "unsupported element <tick> in <clock>" },
	};
	struct verr e;
	struct domain_config *c = parse(xml, &e), *c2;
	char *out, *out2, cmd[256];
	FILE *f;

	ck_assert_msg(c != NULL, "%s", e.msg);
	out = domain_xml_format(c, -1);
	ck_assert_ptr_nonnull(strstr(out, "  <clock offset='utc'>\n    <timer name='rtc' tickpolicy='catchup'/>\n"
					  "    <timer name='pit' tickpolicy='delay'/>\n    <timer name='hpet' present='no'/>\n"
					  "  </clock>\n  <on_poweroff>"));
	c2 = parse(out, &e);
	ck_assert_msg(c2 != NULL, "%s", e.msg);
	out2 = domain_xml_format(c2, -1);
	ck_assert_str_eq(out, out2);
	f = fopen("/tmp/vmmd-clock-check.xml", "w");
	fputs(out, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "virt-xml-validate /tmp/vmmd-clock-check.xml domain >/dev/null 2>&1");
	ck_assert_int_eq(system(cmd), 0);
	unlink("/tmp/vmmd-clock-check.xml");
	free(out);
	free(out2);
	domain_config_free(c);
	domain_config_free(c2);
	/* no offset is libvirt's default, UTC; written back with it */
	c = parse("<domain type='kvm'><name>c</name><memory>65536</memory>" OS "<clock/></domain>", &e);
	ck_assert_msg(c != NULL, "%s", e.msg);
	out = domain_xml_format(c, -1);
	ck_assert_ptr_nonnull(strstr(out, "  <clock offset='utc'/>\n"));
	free(out);
	domain_config_free(c);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char doc[1024];

		snprintf(doc, sizeof doc, "<domain type='kvm'><name>c</name><memory>65536</memory>" OS "%s</domain>",
			 bad[i].clock);
		c = parse(doc, &e);
		ck_assert_msg(!c, "case %zu accepted", i);
		ck_assert_msg(strstr(e.msg, bad[i].msg), "case %zu: '%s' lacks '%s'", i, e.msg, bad[i].msg);
	}
}
END_TEST

/* A domain without <kernel> boots the site image on its first disk
 * through vmm's firmware (firmware/): accepted with a disk, round-trips
 * without a <kernel>; refused without a disk, or with an <initrd>. */
START_TEST(image_domain_without_kernel)
{
	static const char img[] = "<domain type='kvm'><name>a</name><memory>65536</memory><os><type>hvm</type></os>"
				  "<devices><disk type='file' device='disk'><source file='/site.img'/>"
				  "<target dev='vda' bus='virtio'/><readonly/></disk></devices></domain>";
	struct verr e;
	struct domain_config *c = parse(img, &e), *bad;
	char *xml;

	ck_assert_msg(c != NULL, "%s", e.msg);
	ck_assert_ptr_null(c->kernel);
	xml = domain_xml_format(c, -1);
	ck_assert_ptr_null(strstr(xml, "<kernel>"));
	domain_config_free(c);
	c = parse(xml, &e);
	ck_assert_msg(c != NULL, "%s", e.msg);
	ck_assert_ptr_null(c->kernel);
	domain_config_free(c);
	free(xml);
	bad = parse("<domain type='kvm'><name>a</name><memory>65536</memory><os><type>hvm</type></os></domain>", &e);
	ck_assert_ptr_null(bad);
	ck_assert_msg(strstr(e.msg, "needs a <kernel>") && strstr(e.msg, "<disk>"), "%s", e.msg);
	bad = parse("<domain type='kvm'><name>a</name><memory>65536</memory><os><type>hvm</type><initrd>/i</initrd></os>"
		    "<devices><disk type='file' device='disk'><source file='/site.img'/><target dev='vda'/></disk>"
		    "</devices></domain>",
		    &e);
	ck_assert_ptr_null(bad);
	ck_assert_msg(strstr(e.msg, "<initrd> needs a <kernel>"), "%s", e.msg);
	bad = parse("<domain type='kvm'><name>a</name><memory>65536</memory><os><type>hvm</type><kernel>k</kernel></os>"
		    "</domain>",
		    &e);
	ck_assert_ptr_null(bad);
	ck_assert_msg(strstr(e.msg, "absolute path"), "%s", e.msg);
}
END_TEST

/* <metadata> of other applications (virt-install's libosinfo) is kept as
 * libvirt keeps it: given back as written, beside ours, its namespace
 * declared on it even when the document declared it further up */
START_TEST(other_metadata_kept)
{
	static const char osinfo[] =
		"<libosinfo:libosinfo xmlns:libosinfo=\"http://libosinfo.org/xmlns/libvirt/domain/1.0\">\n"
		"      <libosinfo:os id=\"http://libosinfo.org/linux/2022\"/>\n    </libosinfo:libosinfo>";
	char xml[2048], big[40000];
	struct verr e;
	struct domain_config *c, *c2;
	char *out, *out2, cmd[256];
	FILE *f;

	snprintf(xml, sizeof xml,
		 "<domain type='kvm' xmlns:app='urn:example:app'><name>m</name><memory>65536</memory>" OS
		 "<devices><vsock model='virtio'><cid auto='yes'/></vsock></devices><metadata>\n    %s"
		 "<vmm:vsock xmlns:vmm='" VMM_XML_NS "'><vmm:publish host='8080' guest='80'/></vmm:vsock>"
		 "<app:note a='1 &amp; 2'>x &lt; y</app:note></metadata></domain>",
		 osinfo);
	c = parse(xml, &e);
	ck_assert_msg(c != NULL, "%s", e.msg);
	ck_assert_uint_eq(c->npublish, 1);
	out = domain_xml_format(c, -1);
	ck_assert_msg(strstr(out, osinfo), "%s", out);
	ck_assert_msg(strstr(out, "<app:note xmlns:app=\"urn:example:app\" a=\"1 &amp; 2\">x &lt; y</app:note>"), "%s",
		      out);
	c2 = parse(out, &e);
	ck_assert_msg(c2 != NULL, "%s", e.msg);
	out2 = domain_xml_format(c2, -1);
	ck_assert_str_eq(out, out2);
	f = fopen("/tmp/vmmd-meta-check.xml", "w");
	fputs(out, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "virt-xml-validate /tmp/vmmd-meta-check.xml domain >/dev/null 2>&1");
	ck_assert_int_eq(system(cmd), 0);
	unlink("/tmp/vmmd-meta-check.xml");
	free(out);
	free(out2);
	domain_config_free(c);
	domain_config_free(c2);

	c = parse("<domain type='kvm'><name>m</name><memory>65536</memory>" OS "<metadata><note/></metadata></domain>", &e);
	ck_assert(!c);
	ck_assert_msg(strstr(e.msg, "element <note> in <metadata> needs a namespace of its own"), "%s", e.msg);
	c = parse("<domain type='kvm'><name>m</name><memory>65536</memory>" OS "<metadata><a:x xmlns:a='urn:a'/>"
		  "<b:y xmlns:b='urn:a'/></metadata></domain>", &e);
	ck_assert(!c);
	ck_assert_msg(strstr(e.msg, "a second element of namespace 'urn:a'"), "%s", e.msg);
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = 0;
	{
		size_t n = strlen(big) + 512;
		char *doc = malloc(n);

		snprintf(doc, n, "<domain type='kvm'><name>m</name><memory>65536</memory>" OS
			 "<metadata><a:x xmlns:a='urn:a'>%s</a:x></metadata></domain>", big);
		c = parse(doc, &e);
		free(doc);
	}
	ck_assert(!c);
	ck_assert_msg(strstr(e.msg, "<metadata> of other namespaces over 32768 bytes"), "%s", e.msg);
}
END_TEST

Suite *xml_suite(void)
{
	const TTest *const tests[] = {
		minimal_gets_defaults, rejections_name_the_problem, tune_rejections_name_the_problem,
		round_trip_and_schema, site_round_trip_and_defaults,
		site_rejections_name_the_problem, doctype_refused_before_its_entities, no_dtd_no_entities,
		every_value_is_capped, the_largest_domain_fits_the_cap, clock_of_virt_install, image_domain_without_kernel,
		other_metadata_kept,
		NULL,
	};

	return one_case_suite("domain-xml", "parse", 0, NULL, NULL, tests);
}

/* The virsh commands against vmmd, with domains on the stand-in vmm. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suite.h"
#include "common/harness.h"
#include "suites.h"
#include "msg_tail.h"

static struct vmmd_inst v;
static char out[16384];

static void setup(void)
{
	vmmd_fixture_up(&v);
}

static void teardown(void)
{
	vmmd_fixture_down(&v);
}

#define OK(...) ck_assert_msg(virsh(&v, out, sizeof out, __VA_ARGS__) == 0, "virsh failed: %s", msg_tail(out))
#define FAILS(...) ck_assert_msg(virsh(&v, out, sizeof out, __VA_ARGS__) != 0, "virsh succeeded: %s", msg_tail(out))
#define HAS(s) ck_assert_msg(strstr(out, s) != NULL, "expected '%s' in: %s", s, msg_tail(out))

/* Whether vmmd's log (its stderr) has s. */
static bool log_has(const char *s)
{
	char path[400], *text;
	size_t n;
	FILE *f;
	bool found;

	snprintf(path, sizeof path, "%s/vmmd.log", v.dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	text = malloc(1 << 20);
	n = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (!text)
		return false;
	text[n] = 0;
	found = strstr(text, s) != NULL;
	free(text);
	return found;
}

#define LOGGED(s) ck_assert_msg(log_has(s), "vmmd's log lacks '%s'", s)

/* virsh console on domain name, left open (stdin stays open for 5 s) until
 * the guest ends it; returns virsh's exit status, output in out. */
static int console_until_end(const char *name)
{
	char cmd[1024];
	FILE *p;
	int st;

	snprintf(cmd, sizeof cmd, "sleep 5 | timeout 20 script -qefc \"virsh -c '%s' console %s\" /dev/null 2>&1", v.uri,
		 name);
	p = popen(cmd, "r");
	out[fread(out, 1, sizeof out - 1, p)] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void define(const char *name, const char *kernel)
{
	char xml[1024];

	domain_xml(xml, sizeof xml, name, kernel);
	OK("define %s", write_xml(&v, "d.xml", xml));
	HAS("defined from");
}

START_TEST(host_commands)
{
	OK("version");
	HAS("Running hypervisor: VMM");
	OK("hostname");
	OK("uri");
	HAS(v.sock);
	OK("nodeinfo");
	HAS("CPU model:");
	/* a call vmmd does not serve names its API, as libvirtd's drivers do */
	FAILS("sysinfo");
	HAS("error: this function is not supported by the connection driver: virConnectGetSysinfo");
	FAILS("nodememstats");
	HAS("this function is not supported by the connection driver: virNodeGetMemoryStats");
}
END_TEST

/* What virt-install reads first: the host's and vmm's capabilities, in
 * libvirt's formats (checked against its schemas when virt-xml-validate is
 * there: it comes with virsh in Debian's libvirt-clients). */
START_TEST(capabilities)
{
	char cmd[3000];

	OK("capabilities");
	HAS("<arch>x86_64</arch>");
	HAS("<topology sockets='");
	HAS("<cell id='0'>");
	HAS("<memory unit='KiB'>");
	HAS("<os_type>hvm</os_type>");
	HAS("<arch name='x86_64'>");
	HAS("<wordsize>64</wordsize>");
	HAS(v.vmm); /* <emulator> */
	HAS("<domain type='kvm'/>");
	OK("domcapabilities");
	HAS("<domain>kvm</domain>");
	HAS("<arch>x86_64</arch>");
	HAS("<vcpu max='254'/>");
	HAS("<loader supported='no'/>");
	HAS("<disk supported='yes'>");
	HAS("<value>virtio</value>");
	OK("domcapabilities --virttype kvm --arch x86_64");
	FAILS("domcapabilities --virttype qemu");
	HAS("virtualization type 'qemu' is not supported (only kvm)");
	FAILS("domcapabilities --arch aarch64");
	HAS("architecture 'aarch64' is not supported");
	if (system("command -v virt-xml-validate >/dev/null") != 0)
		return;
	snprintf(cmd, sizeof cmd,
		 "virsh -c '%s' capabilities > %s/caps.xml && virt-xml-validate %s/caps.xml capability && "
		 "virsh -c '%s' domcapabilities > %s/dcaps.xml && virt-xml-validate %s/dcaps.xml domaincaps",
		 v.uri, v.dir, v.dir, v.uri, v.dir, v.dir);
	ck_assert_msg(system(cmd) == 0, "capabilities do not validate: %s", cmd);
}
END_TEST

START_TEST(full_lifecycle)
{
	char path[600], uuid[64];

	define("alpha", image_file(&v, "echo.elf"));
	OK("list --all");
	HAS("alpha");
	HAS("shut off");
	OK("dominfo alpha");
	HAS("Persistent:     yes");
	OK("start alpha");
	HAS("Domain 'alpha' started");
	OK("list");
	HAS("1    alpha   running");
	OK("domid alpha");
	HAS("1");
	OK("domuuid alpha");
	snprintf(uuid, sizeof uuid, "%.36s", out);
	OK("domname 1");
	HAS("alpha");
	OK("domname %s", uuid);
	HAS("alpha");
	OK("suspend alpha");
	OK("domstate --reason alpha");
	HAS("paused (user)");
	OK("resume alpha");
	OK("domstate --reason alpha");
	HAS("running (unpaused)");
	FAILS("vcpuinfo alpha");
	HAS("error: this function is not supported by the connection driver: virDomainGetVcpus");
	FAILS("domblkstat alpha vda");
	HAS("this function is not supported by the connection driver: virDomainBlockStats");
	OK("reboot alpha");
	ck_assert_int_eq(wait_state(&v, "alpha", "running", 3000), 0);
	OK("domid alpha");
	HAS("1"); /* a reboot keeps the id */
	OK("dumpxml alpha");
	HAS("<domain type='kvm' id='1'>");
	snprintf(path, sizeof path, "%s/dump.xml", v.dir);
	{
		FILE *f = fopen(path, "w");
		char cmd[700];

		fputs(out, f);
		fclose(f);
		snprintf(cmd, sizeof cmd, "virt-xml-validate %s domain >/dev/null 2>&1", path);
		ck_assert_int_eq(system(cmd), 0);
	}
	OK("autostart alpha");
	HAS("marked as autostarted");
	OK("dominfo alpha");
	HAS("Autostart:      enable");
	OK("autostart --disable alpha");
	HAS("unmarked");
	FAILS("start alpha");
	HAS("already active");
	OK("shutdown alpha");
	HAS("is being shutdown");
	ck_assert_int_eq(wait_state(&v, "alpha", "shut off", 3000), 0);
	OK("domstate --reason alpha");
	HAS("shut off (shutdown)");
	OK("start alpha");
	OK("domid alpha");
	HAS("2"); /* a new start gets a new id */
	OK("destroy alpha");
	OK("domstate --reason alpha");
	HAS("shut off (destroyed)");
	OK("undefine alpha");
	HAS("has been undefined");
	OK("list --all");
	ck_assert(strstr(out, "alpha") == NULL);
}
END_TEST

START_TEST(transient_create)
{
	char xml[1024];

	domain_xml(xml, sizeof xml, "tmp1", image_file(&v, "echo.elf"));
	OK("create %s", write_xml(&v, "t.xml", xml));
	HAS("created from");
	OK("dominfo tmp1");
	HAS("Persistent:     no");
	FAILS("undefine tmp1");
	HAS("cannot undefine transient domain");
	FAILS("autostart tmp1");
	OK("destroy tmp1");
	OK("list --all");
	ck_assert(strstr(out, "tmp1") == NULL);
}
END_TEST

START_TEST(exit_actions)
{
	define("off", image_file(&v, "poweroff.elf"));
	OK("start off");
	ck_assert_int_eq(wait_state(&v, "off", "shut off", 5000), 0);
	OK("domstate --reason off");
	HAS("shut off (shutdown)");
	define("crashy", image_file(&v, "crash.elf"));
	OK("start crashy");
	ck_assert_int_eq(wait_state(&v, "crashy", "shut off", 5000), 0);
	OK("domstate --reason crashy");
	HAS("shut off (crashed)");
	define("stubborn", image_file(&v, "stubborn.elf"));
	OK("start stubborn");
	OK("shutdown stubborn");
	OK("domstate stubborn");
	HAS("in shutdown");
	/* the daemon runs with --shutdown-timeout 2 */
	ck_assert_int_eq(wait_state(&v, "stubborn", "shut off", 8000), 0);
	OK("domstate --reason stubborn");
	HAS("destroyed");
}
END_TEST

START_TEST(start_failure_reported)
{
	define("broken", image_file(&v, "fail.elf"));
	FAILS("start broken");
	HAS("fake setup failure");
	OK("domstate --reason broken");
	HAS("shut off (failed)");
}
END_TEST

START_TEST(errors_read_like_libvirt)
{
	char xml[1024];

	FAILS("start nosuch");
	HAS("failed to get domain 'nosuch'");
	define("beta", image_file(&v, "echo.elf"));
	FAILS("suspend beta");
	HAS("Requested operation is not valid: domain is not running");
	FAILS("define %s", write_xml(&v, "bad.xml", "<domain type='kvm'><name>x</name"));
	HAS("XML error");
	domain_xml(xml, sizeof xml, "a/b", image_file(&v, "k"));
	FAILS("define %s", write_xml(&v, "bad.xml", xml));
	HAS("must not contain '/'");
	FAILS("define %s",
	      write_xml(&v, "bad.xml",
			"<domain type='kvm'><name>g</name><memory>65536</memory><os><type>hvm</type>"
			"<kernel>/k</kernel></os><devices><graphics type='vnc'/></devices></domain>"));
	HAS("unsupported element <graphics>");
	/* the same name again, without the uuid: libvirt's rule refuses it */
	domain_xml(xml, sizeof xml, "beta", image_file(&v, "echo.elf"));
	FAILS("define %s", write_xml(&v, "dup.xml", xml));
	HAS("domain 'beta' already exists with uuid");
	/* a uuid that belongs to another name */
#define UUID_XML(name, mem)                                                                                  \
	(snprintf(xml, sizeof xml,                                                                             \
		  "<domain type='kvm'><name>" name "</name><uuid>11111111-2222-3333-4444-555555555555</uuid>"  \
		  "<memory>" mem "</memory><os><type>hvm</type><kernel>%s</kernel></os></domain>",             \
		  image_file(&v, "k")),                                                                        \
	 xml)
	OK("define %s", write_xml(&v, "u1.xml", UUID_XML("u1", "65536")));
	FAILS("define %s", write_xml(&v, "u2.xml", UUID_XML("u2", "65536")));
	HAS("domain 'u1' is already defined with uuid 11111111-2222-3333-4444-555555555555");
	/* redefining with the same name and uuid updates the definition */
	OK("define %s", write_xml(&v, "u1.xml", UUID_XML("u1", "131072")));
	OK("dominfo u1");
	HAS("131072 KiB");
}
END_TEST

START_TEST(read_only_socket)
{
	char cmd[1024];
	FILE *p;

	define("ro", image_file(&v, "echo.elf"));
	snprintf(cmd, sizeof cmd, "virsh -r -c 'vmm+unix:///system?socket=%s-ro' list --all 2>&1", v.sock);
	p = popen(cmd, "r");
	out[fread(out, 1, sizeof out - 1, p)] = 0;
	ck_assert_int_eq(pclose(p), 0);
	HAS("ro");
	snprintf(cmd, sizeof cmd, "virsh -c 'vmm+unix:///system?socket=%s-ro' start ro 2>&1", v.sock);
	p = popen(cmd, "r");
	out[fread(out, 1, sizeof out - 1, p)] = 0;
	ck_assert_int_ne(pclose(p), 0);
	HAS("read only access prevents virDomainCreate");
}
END_TEST

START_TEST(console_both_ways)
{
	char cmd[1024];
	FILE *p;

	define("con", image_file(&v, "echo.elf"));
	OK("start con");
	/* virsh needs a terminal: script(1) gives it one; Ctrl-] ends the session */
	snprintf(cmd, sizeof cmd,
		 "(sleep 1; printf 'ping-42\\r'; sleep 1; printf '\\035') | "
		 "timeout 20 script -qfc \"virsh -c '%s' console con\" /dev/null 2>&1",
		 v.uri);
	p = popen(cmd, "r");
	out[fread(out, 1, sizeof out - 1, p)] = 0;
	ck_assert_int_eq(pclose(p), 0);
	HAS("Connected to domain 'con'");
	HAS("fake console con");
	HAS("ping-42"); /* echoed back by the guest side */
	OK("destroy con");
}
END_TEST

/* A console ends with its VM: as an error when the VM crashed (virsh
 * prints it and exits 1, so scripts can tell), cleanly when it powered off. */
START_TEST(console_ends_with_the_vm)
{
	define("cc", image_file(&v, "latecrash.elf"));
	OK("start cc");
	ck_assert_int_eq(console_until_end("cc"), 1);
	HAS("Connected to domain 'cc'");
	HAS("fake console cc");
	HAS("error: End of file while reading data: domain 'cc' crashed: the guest crashed (vmm exit status 125)");
	define("pc", image_file(&v, "latepoweroff.elf"));
	OK("start pc");
	ck_assert_int_eq(console_until_end("pc"), 0);
	HAS("fake console pc");
	ck_assert_msg(!strstr(out, "error:"), "a clean end reported an error: %s", msg_tail(out));
	/* a vmm killed by a signal, with on_crash restart: the console of the
	 * crashed instance ends with the error, the domain runs again */
	{
		char xml[1024];

		snprintf(xml, sizeof xml,
			 "<domain type='kvm'><name>rc</name><memory>65536</memory><os><type>hvm</type><kernel>%s</kernel>"
			 "</os><on_crash>restart</on_crash></domain>",
			 image_file(&v, "latesegv.elf"));
		OK("define %s", write_xml(&v, "rc.xml", xml));
	}
	OK("start rc");
	ck_assert_int_eq(console_until_end("rc"), 1);
	HAS("error: End of file while reading data: domain 'rc' crashed: vmm was killed by signal 11 (SIGSEGV)");
	OK("domstate rc");
	HAS("running");
	OK("destroy rc");
	LOGGED("vmmd: domain 'cc': started (vmm pid ");
	LOGGED("vmmd: domain 'cc': crashed: the guest crashed (vmm exit status 125)");
	LOGGED("vmmd: domain 'pc': stopped: the guest powered off");
	LOGGED("vmmd: domain 'rc': restarted (on_crash restart after: vmm was killed by signal 11 (SIGSEGV); vmm pid ");
	LOGGED("vmmd: domain 'rc': stopped: destroyed");
}
END_TEST

/* Every life-cycle event is one line of vmmd's log: "vmmd: domain 'NAME': ...". */
START_TEST(lifecycle_logged)
{
	define("lg", image_file(&v, "echo.elf"));
	OK("start lg");
	OK("shutdown lg");
	ck_assert_int_eq(wait_state(&v, "lg", "shut off", 5000), 0);
	LOGGED("vmmd: domain 'lg': started (vmm pid ");
	LOGGED("vmmd: domain 'lg': stopped: shut down");
	define("bad", image_file(&v, "fail.elf"));
	FAILS("start bad");
	LOGGED("vmmd: domain 'bad': failed to start: vmm exited with status 2: vmm: cannot boot: fake setup failure");
}
END_TEST

START_TEST(persistence_and_adoption)
{
	define("keep", image_file(&v, "echo.elf"));
	define("auto", image_file(&v, "echo.elf"));
	OK("autostart auto");
	define("run", image_file(&v, "echo.elf"));
	OK("start run");
	{
		char xml[1024];

		domain_xml(xml, sizeof xml, "trans", image_file(&v, "echo.elf"));
		OK("create %s", write_xml(&v, "t.xml", xml));
	}
	ck_assert_int_eq(vmmd_stop(&v), 0);
	ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
	/* an autostart goes on in the loop: paused (starting up) until the
	 * vmm's move into its cgroups reports, a moment */
	ck_assert_int_eq(wait_state(&v, "auto", "running", 5000), 0);
	OK("list --all");
	HAS("1    run     running");
	HAS("2    trans   running");
	HAS("3    auto    running"); /* autostarted with the daemon */
	HAS("keep    shut off");
	LOGGED("vmmd: domain 'run': adopted (vmm pid ");
	LOGGED("vmmd: domain 'trans': adopted (vmm pid ");
	LOGGED("vmmd: domain 'auto': autostarted (vmm pid ");
	/* adopted VMs are still managed: a shutdown is noticed */
	OK("shutdown trans");
	ck_assert_int_eq(wait_state(&v, "run", "running", 100), 0);
	OK("destroy run");
	OK("destroy auto");
	for (int i = 0; i < 50; i++) {
		OK("list --all");
		if (!strstr(out, "trans"))
			break;
		usleep(100000);
	}
	ck_assert(strstr(out, "trans") == NULL);
}
END_TEST

/* Files only from below the image directories (--images: the harness
 * gives the test's directory and the build's): refused at define naming
 * the path and the rule, and again at start for a definition that went bad
 * afterwards; a file inside, through a symlink that stays inside, starts. */
START_TEST(image_directory_rule)
{
	char xml[2048], path[600], cmd[1400];

	/* outside every image directory */
	domain_xml(xml, sizeof xml, "out", "/etc/hostname");
	FAILS("define %s", write_xml(&v, "x.xml", xml));
	HAS("kernel '/etc/hostname' is not below an image directory (--images ");
	/* a disk outside */
	snprintf(xml, sizeof xml,
		 "<domain type='kvm'><name>d</name><memory>65536</memory><os><type>hvm</type><kernel>%s</kernel></os>"
		 "<devices><disk type='file'><source file='/etc/shadow'/><target dev='vda' bus='virtio'/></disk></devices></domain>",
		 image_file(&v, "echo.elf"));
	FAILS("define %s", write_xml(&v, "x.xml", xml));
	HAS("disk '/etc/shadow' is not below an image directory");
	/* '..', even when it would land inside again */
	snprintf(path, sizeof path, "%s/images/../images/echo.elf", v.dir);
	domain_xml(xml, sizeof xml, "dots", path);
	FAILS("define %s", write_xml(&v, "x.xml", xml));
	HAS("has a '..' component");
	/* a symlink out of the directory */
	snprintf(path, sizeof path, "%s/images/escape.elf", v.dir);
	ck_assert_int_eq(symlink("/etc/hostname", path), 0);
	domain_xml(xml, sizeof xml, "esc", path);
	FAILS("define %s", write_xml(&v, "x.xml", xml));
	HAS("leaves the image directory through a symlink");
	snprintf(path, sizeof path, "%s/images/up.elf", v.dir);
	ck_assert_int_eq(symlink("../../../etc/hostname", path), 0);
	domain_xml(xml, sizeof xml, "up", path);
	FAILS("define %s", write_xml(&v, "x.xml", xml));
	HAS("leaves the image directory through a symlink");
	OK("list --all --name");
	ck_assert_msg(!strstr(out, "esc") && !strstr(out, "out"), "defined anyway: %s", msg_tail(out));
	/* a relative symlink that stays inside is followed */
	snprintf(path, sizeof path, "%s/images/inside.elf", v.dir);
	image_file(&v, "echo.elf");
	ck_assert_int_eq(symlink("echo.elf", path), 0);
	define("inside", path);
	OK("start inside");
	OK("destroy inside");
	/* defined while good, turned bad later: the start refuses it */
	snprintf(path, sizeof path, "%s/images/later.elf", v.dir);
	image_file(&v, "later.elf");
	define("later", path);
	snprintf(cmd, sizeof cmd, "ln -sf /etc/hostname '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
	FAILS("start later");
	HAS("kernel '");
	HAS("later.elf' leaves the image directory through a symlink");
	/* a file that does not exist yet may be defined; its start names it */
	snprintf(path, sizeof path, "%s/images/notyet.elf", v.dir);
	define("notyet", path);
	FAILS("start notyet");
	HAS("cannot open kernel '");
	HAS("notyet.elf': No such file or directory");
}
END_TEST

/* What virt-install writes (--print-xml) defines, <clock>, <emulator> and
 * its <metadata> included, and starts; an <emulator> that is not vmmd's
 * vmm is refused. */
START_TEST(virt_install_xml_defines)
{
	char cmd[3000], xml[1024];

	snprintf(xml, sizeof xml,
		 "<domain type='kvm'><name>emu</name><memory>65536</memory><os><type>hvm</type><kernel>%s</kernel>"
		 "</os><devices><emulator>/bin/true</emulator></devices></domain>",
		 image_file(&v, "echo.elf"));
	FAILS("define %s", write_xml(&v, "emu.xml", xml));
	HAS("emulator '/bin/true' is not this daemon's vmm");
	if (system("command -v virt-install >/dev/null") != 0)
		return;
	snprintf(cmd, sizeof cmd,
		 "virt-install --connect '%s' --name vi --memory 64 --vcpus 1 --boot kernel=%s,cmdline=console=ttyS0 "
		 "--disk none --network none --graphics none --osinfo detect=off,require=off --print-xml > %s/vi.xml",
		 v.uri, image_file(&v, "echo.elf"), v.dir);
	ck_assert_msg(system(cmd) == 0, "virt-install failed: %s", cmd);
	snprintf(cmd, sizeof cmd, "%s/vi.xml", v.dir);
	OK("define %s", cmd);
	OK("dumpxml vi");
	HAS("<clock offset='utc'/>");
	HAS("<emulator>");
	OK("start vi");
	OK("domstate vi");
	HAS("running");
	OK("destroy vi");
	OK("undefine vi");
	/* with an OS named, virt-install adds its <libosinfo:libosinfo> to
	 * <metadata>: kept (only where this osinfo-db knows linux2022) */
	snprintf(cmd, sizeof cmd,
		 "virt-install --connect '%s' --name vo --memory 64 --vcpus 1 --boot kernel=%s --disk none "
		 "--network none --graphics none --osinfo linux2022 --print-xml > %s/vo.xml 2>/dev/null",
		 v.uri, image_file(&v, "echo.elf"), v.dir);
	if (system(cmd) != 0)
		return;
	snprintf(cmd, sizeof cmd, "%s/vo.xml", v.dir);
	OK("define %s", cmd);
	OK("dumpxml vo");
	HAS("<libosinfo:os id=\"http://libosinfo.org/linux/2022\"/>");
	OK("undefine vo");
}
END_TEST

Suite *virsh_suite(void)
{
	const TTest *const tests[] = {
		host_commands, capabilities, full_lifecycle, transient_create, exit_actions, start_failure_reported,
		errors_read_like_libvirt, read_only_socket, console_both_ways, console_ends_with_the_vm,
		lifecycle_logged, persistence_and_adoption,
		image_directory_rule, virt_install_xml_defines, NULL,
	};

	return one_case_suite("virsh", "commands", 120, setup, teardown, tests);
}

#include "cli/run_options.h"

#include <getopt.h>
#include <string.h>

#include "jail/jail.h"
#include "util/size.h"

enum {
	OPT_KERNEL = 'k', OPT_INITRD = 'i', OPT_CMDLINE = 'c', OPT_MEM = 'm', OPT_CPUS = 'p',
	OPT_NAME = 'n', OPT_HELP = 'h', OPT_ON_RESET = 256, OPT_CONSOLE, OPT_CONSOLE_SOCKET,
	OPT_HALT_POLL, OPT_EXIT_STATS, OPT_IDLE_STOP, OPT_CONSOLE_LOG, OPT_CONSOLE_LOG_MAX, OPT_CONSOLE_RATE,
	OPT_CONSOLE_BURST, OPT_NO_JAIL, OPT_UID, OPT_GID, OPT_FIRMWARE, OPT_EXIT_STATUS,
	OPT_DEVICE = 1024, /* + type * DEVICE_OPTS_MAX + option: the device types' own */
};
#define DEVICE_OPTS_MAX 16
#define OPTIONS_MAX 64

/* vmm's own options; the device types' follow them (machine/devices.c). */
static const struct option common_options[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "firmware", required_argument, NULL, OPT_FIRMWARE },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "on-reset", required_argument, NULL, OPT_ON_RESET },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
	{ "console-log", required_argument, NULL, OPT_CONSOLE_LOG },
	{ "console-log-max", required_argument, NULL, OPT_CONSOLE_LOG_MAX },
	{ "console-rate", required_argument, NULL, OPT_CONSOLE_RATE },
	{ "console-burst", required_argument, NULL, OPT_CONSOLE_BURST },
	{ "halt-poll-ns", required_argument, NULL, OPT_HALT_POLL },
	{ "exit-stats", no_argument, NULL, OPT_EXIT_STATS },
	{ "idle-stop", required_argument, NULL, OPT_IDLE_STOP },
	{ "exit-status", required_argument, NULL, OPT_EXIT_STATUS },
	{ "no-jail", no_argument, NULL, OPT_NO_JAIL },
	{ "uid", required_argument, NULL, OPT_UID },
	{ "gid", required_argument, NULL, OPT_GID },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

void run_options_usage(FILE *out)
{
	fprintf(out,
		"Usage: vmm run --kernel FILE [OPTIONS]\n"
		"       vmm run --disk IMAGE [OPTIONS]\n"
		"Boot a guest kernel under KVM with its serial console on this terminal.\n"
		"\n"
		"  -k, --kernel FILE      ELF64 kernel with a PVH entry note; without it, vmm boots\n"
		"                         the built-in firmware, which boots the site image on the\n"
		"                         first --disk (see 'vmm image'; exit codes 40-48: a bad image)\n"
		"      --firmware FILE    boot this PVH firmware instead of the built-in one\n"
		"  -i, --initrd FILE      initial ramdisk, passed as a PVH module\n"
		"                         (FILE, here and for --disk, may be fd:N: a file the parent\n"
		"                         opened and passed as descriptor N >= 3; vmm opens every file\n"
		"                         once, before the first boot, and a reboot reads the same ones)\n"
		"  -c, --cmdline STR      kernel command line\n"
		"  -m, --mem SIZE         guest RAM, with K/M/G suffix (default 64M)\n"
		"  -p, --cpus N           number of vCPUs (default 1, at most %u)\n"
		"  -n, --name NAME        name of the VM (default: the kernel's file name)\n"
		"      --on-reset=ACTION  restart (default) or exit when the guest resets\n"
		"      --console=MODE     stdio (default): output and input; output: output only;\n"
		"                         none: no console\n"
		"      --console-socket PATH  serve the console on a unix socket (one client at a\n"
		"                         time; a new one takes over); input then comes only from it.\n"
		"                         Jailed, vmm cannot remove it at exit: the next vmm replaces it\n"
		"      --console-log FILE console output to FILE (created 0600, emptied) instead of stdout\n"
		"      --console-log-max SIZE  when console output goes to a regular file (this one,\n"
		"                         or a stdout redirected to a file, as vmmd gives it), the file\n"
		"                         never grows past SIZE (default 4M; at least 4K; 0: no cap):\n"
		"                         before a write would pass it, the file is cut to its newest\n"
		"                         part (at most half SIZE, from a line start) behind a line\n"
		"                         'vmm: NAME: console: log over its cap ...'; vmm's own lines\n"
		"                         on stderr into the same file count too, but those written\n"
		"                         after the last console output (the status line, a crash\n"
		"                         report) may pass SIZE by their length\n"
		"      --console-rate SIZE  to a regular file, at most SIZE bytes a second (default 64K;\n"
		"      --console-burst SIZE   0: no limit) after a burst (default 1M) of saved-up rate;\n"
		"                         a write (a UART byte, a bulk port record) passes whole or is\n"
		"                         dropped, so the guest never waits; dropped bytes are counted in\n"
		"                         'vmm: NAME: console: N bytes dropped (rate limit)', at most one\n"
		"                         line a second, the last with the next output or at exit.\n"
		"                         A terminal or pipe gets everything: its reader sets the pace\n"
		"      --halt-poll-ns N   how long KVM spins for an idle vCPU's next event before\n"
		"                         it sleeps (0: never spin; default: the host's setting)\n"
		"      --exit-stats       when the guest stops, print each vCPU's exits as KVM counts\n"
		"                         them (also those handled in the kernel) on stderr\n"
		"      --idle-stop SECONDS  once the guest has had no vsock connection and no client\n"
		"                         waiting on a --publish listener for SECONDS (1-%u), stop\n"
		"                         accepting (clients wait in the backlog), ask the guest to\n"
		"                         power off as SIGPWR does, and stop it after 10 s if it has not\n"
		"                         (status: its code, else 0); needs a vsock device\n"
		"      --exit-status FILE when vmm ends, write 'exit N' (N: its exit status) to FILE\n"
		"                         (created 0600 or emptied; or fd:N, open for reading and\n"
		"                         writing): for a parent that may not be there to wait for\n"
		"                         vmm. It stays empty where vmm is killed by a signal\n"
		"      --uid N, --gid N   the ids the VM runs as once jailed (not 0; default when\n"
		"                         started as root: %u + vmm's pid, an id no user has; give\n"
		"                         each running VM its own: threads count per uid)\n"
		"      --no-jail          do not confine the process (said on stderr). The jail, after\n"
		"                         set-up and before the guest's first instruction: as root an\n"
		"                         empty read-only root (in the mount namespace jailed VMs share),\n"
		"                         a UTS namespace of its own and the IPC and network namespaces\n"
		"                         jailed VMs share (not the host's), the ids above, no\n"
		"                         capabilities; always\n"
		"                         no_new_privs, file/descriptor/thread limits and a seccomp\n"
		"                         allowlist per thread (a forbidden call kills the process)\n"
		"  -h, --help             show this help\n"
		"\n"
		"Devices (virtio-mmio; each option adds its device):\n",
		VM_MAX_CPUS, VM_IDLE_STOP_MAX, JAIL_ID_BASE);
	for (unsigned t = 0; device_types[t]; t++)
		for (const struct device_option *o = device_types[t]->options; o->name; o++)
			fputs(o->help, out);
	fprintf(out,
		"\n"
		"Console: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.\n"
		"Exit status: the guest's power-off code (0 for a plain power-off);\n"
		"  2 bad options or setup failure; 125 guest crashed (triple fault, KVM error);\n"
		"  126 guest reset with --on-reset=exit; 128+N stopped by signal N; 0 after Ctrl-A x.\n"
		"Signals: SIGTERM, SIGINT, SIGHUP stop the guest; SIGPWR asks it to power off\n"
		"  (it may refuse); SIGUSR2 resets it.\n"
		"Virtio devices appear on the guest command line as virtio_mmio.device=4K@ADDR:IRQ.\n");
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* --console-log-max, --console-rate, --console-burst: sizes with their
 * bounds (the cap must hold its cut line and some output; the bucket's
 * arithmetic holds up to TOKEN_BUCKET_BURST_MAX). */
static int console_limit_option(struct vm_config *cfg, int opt, const char *arg, struct err *e)
{
	struct console_limits *lim = &cfg->console_limits;
	const char *name = opt == OPT_CONSOLE_LOG_MAX ? "console-log-max"
			   : opt == OPT_CONSOLE_RATE  ? "console-rate"
						      : "console-burst";
	uint64_t v;

	if (parse_size(arg, &v) < 0)
		return err_set(e, "--%s '%s': not a size (examples: 64K, 4M)", name, arg);
	switch (opt) {
	case OPT_CONSOLE_LOG_MAX:
		if (v && v < CONSOLE_LOG_MAX_MIN)
			return err_set(e, "--console-log-max %s: 0 (no cap) or at least %lluK", arg,
				       CONSOLE_LOG_MAX_MIN >> 10);
		lim->max = v;
		break;
	case OPT_CONSOLE_RATE:
		if (v > TOKEN_BUCKET_BURST_MAX)
			return err_set(e, "--console-rate %s: at most %lluG", arg, TOKEN_BUCKET_BURST_MAX >> 30);
		lim->rate = v;
		break;
	default:
		if (v < 1 || v > TOKEN_BUCKET_BURST_MAX)
			return err_set(e, "--console-burst %s: 1 to %lluG", arg, TOKEN_BUCKET_BURST_MAX >> 30);
		lim->burst = v;
		break;
	}
	return 0;
}

/* vmm's options, then every device type's, for getopt_long. */
static void build_options(struct option *all)
{
	unsigned n = 0;

	for (const struct option *o = common_options; o->name; o++)
		all[n++] = *o;
	for (unsigned t = 0; device_types[t]; t++)
		for (unsigned i = 0; device_types[t]->options[i].name && i < DEVICE_OPTS_MAX && n < OPTIONS_MAX - 1; i++)
			all[n++] = (struct option){ device_types[t]->options[i].name,
						    device_types[t]->options[i].has_arg ? required_argument
											: no_argument,
						    NULL, OPT_DEVICE + (int)(t * DEVICE_OPTS_MAX + i) };
	all[n] = (struct option){ NULL, 0, NULL, 0 };
}

enum parse_result run_options_parse(int argc, char **argv, struct vm_config *cfg, struct err *e)
{
	struct option options[OPTIONS_MAX];
	uint64_t v;
	int c;

	memset(cfg, 0, sizeof *cfg);
	cfg->mem = VM_DEFAULT_MEM;
	cfg->halt_poll_ns = -1;
	cfg->cpus = 1;
	cfg->cmdline = "";
	cfg->console = CONSOLE_STDIO;
	cfg->console_limits = (struct console_limits){ CONSOLE_LOG_MAX_DEFAULT, CONSOLE_RATE_DEFAULT,
						       CONSOLE_BURST_DEFAULT };
	build_options(options);
	optind = 0; /* full reset: we may be called more than once (tests) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:i:c:m:p:n:h", options, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL: cfg->kernel = optarg; break;
		case OPT_INITRD: cfg->initrd = optarg; break;
		case OPT_FIRMWARE: cfg->firmware = optarg; break;
		case OPT_CMDLINE: cfg->cmdline = optarg; break;
		case OPT_NAME:
			if (!*optarg || strlen(optarg) > 64 || strchr(optarg, '/'))
				return err_set(e, "--name '%s': use 1-64 characters without '/'", optarg);
			cfg->name = optarg;
			break;
		case OPT_MEM:
			if (parse_size(optarg, &v) < 0)
				return err_set(e, "--mem '%s': not a size (examples: 64M, 1G)", optarg);
			if (v == 0)
				return err_set(e, "--mem must be greater than 0");
			cfg->mem = v;
			break;
		case OPT_CPUS:
			if (parse_uint(optarg, 0, UINT32_MAX, &v) < 0)
				return err_set(e, "--cpus '%s': not a number", optarg);
			if (v < 1 || v > VM_MAX_CPUS)
				return err_set(e, "--cpus %s: must be between 1 and %u", optarg, VM_MAX_CPUS);
			cfg->cpus = (unsigned)v;
			break;
		case OPT_ON_RESET:
			if (strcmp(optarg, "restart") == 0)
				cfg->reset_exits = false;
			else if (strcmp(optarg, "exit") == 0)
				cfg->reset_exits = true;
			else
				return err_set(e, "--on-reset '%s': use 'restart' or 'exit'", optarg);
			break;
		case OPT_CONSOLE:
			if (strcmp(optarg, "stdio") == 0)
				cfg->console = CONSOLE_STDIO;
			else if (strcmp(optarg, "output") == 0)
				cfg->console = CONSOLE_OUTPUT;
			else if (strcmp(optarg, "none") == 0)
				cfg->console = CONSOLE_NONE;
			else
				return err_set(e, "--console '%s': use 'stdio', 'output' or 'none'", optarg);
			break;
		case OPT_CONSOLE_SOCKET:
			if (!*optarg)
				return err_set(e, "--console-socket needs a path");
			cfg->console_socket = optarg;
			break;
		case OPT_CONSOLE_LOG:
			if (!*optarg)
				return err_set(e, "--console-log needs a file");
			cfg->console_log = optarg;
			break;
		case OPT_CONSOLE_LOG_MAX:
		case OPT_CONSOLE_RATE:
		case OPT_CONSOLE_BURST:
			if (console_limit_option(cfg, c, optarg, e) < 0)
				return PARSE_ERROR;
			break;
		case OPT_HALT_POLL:
			if (parse_uint(optarg, 0, 1000000000, &v) < 0)
				return err_set(e, "--halt-poll-ns '%s': must be a number of nanoseconds, 0-1000000000",
					       optarg);
			cfg->halt_poll_ns = (int64_t)v;
			break;
		case OPT_EXIT_STATS: cfg->exit_stats = true; break;
		case OPT_IDLE_STOP:
			if (parse_uint(optarg, 1, VM_IDLE_STOP_MAX, &v) < 0)
				return err_set(e, "--idle-stop '%s': must be a number of seconds, 1-%u", optarg,
					       VM_IDLE_STOP_MAX);
			cfg->idle_stop_s = (unsigned)v;
			break;
		case OPT_EXIT_STATUS:
			if (!*optarg)
				return err_set(e, "--exit-status needs a file");
			cfg->exit_status = optarg;
			break;
		case OPT_NO_JAIL: cfg->no_jail = true; break;
		case OPT_UID:
		case OPT_GID:
			if (parse_uint(optarg, 1, UINT32_MAX - 1, &v) < 0)
				return err_set(e, "--%s '%s': must be a number, 1-%u (not root)", c == OPT_UID ? "uid" : "gid",
					       optarg, UINT32_MAX - 1);
			*(c == OPT_UID ? &cfg->uid : &cfg->gid) = (uint32_t)v;
			break;
		case OPT_HELP: return PARSE_HELP;
		case ':': return err_set(e, "option '%s' needs a value", argv[optind - 1]);
		default:
			if (c >= OPT_DEVICE && c < OPT_DEVICE + DEVICE_TYPES_MAX * DEVICE_OPTS_MAX) {
				unsigned k = (unsigned)(c - OPT_DEVICE);

				if (vm_config_device_option(cfg, k / DEVICE_OPTS_MAX, k % DEVICE_OPTS_MAX, optarg, e) < 0)
					return PARSE_ERROR;
				break;
			}
			if (optopt && optopt < 256)
				return err_set(e, "unknown option '-%c' (see 'vmm run --help')", optopt);
			return err_set(e, "unknown option '%s' (see 'vmm run --help')", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return err_set(e, "unexpected argument '%s' (see 'vmm run --help')", argv[optind]);
	if (cfg->kernel && cfg->firmware)
		return err_set(e, "--kernel and --firmware: give one (a kernel boots directly, firmware boots a disk image)");
	if (!cfg->kernel) {
		/* No kernel: firmware boots the image on the first disk. */
		bool disk = false;

		for (unsigned t = 0; device_types[t]; t++)
			disk |= cfg->dev_config[t] && !strcmp(device_types[t]->name, "virtio-blk");
		if (!disk && !cfg->firmware)
			return err_set(e, "no kernel given: use --kernel FILE, or --disk IMAGE to boot a site image (see 'vmm run --help')");
		if (cfg->initrd)
			return err_set(e, "--initrd needs --kernel: firmware boots the kernel of the disk image");
		cfg->boot_firmware = true;
	}
	if (cfg->idle_stop_s && !vm_config_has_idle_source(cfg))
		return err_set(e, "--idle-stop needs a vsock device (--publish or --cid)");
	if (!cfg->uid != !cfg->gid)
		return err_set(e, "--uid and --gid go together");
	cfg->ids_given = cfg->uid != 0;
	if (cfg->ids_given && cfg->no_jail)
		return err_set(e, "--uid/--gid are the jail's: they do nothing with --no-jail");
	if (cfg->console_log && cfg->console == CONSOLE_NONE)
		return err_set(e, "--console-log with --console=none: there is no output to log");
	if (!cfg->name)
		cfg->name = basename_of(cfg->kernel ? cfg->kernel : cfg->firmware ? cfg->firmware : "firmware");
	return PARSE_OK;
}

#include "cli/run_options.h"

#include <getopt.h>
#include <string.h>

#include "util/size.h"

enum {
	OPT_KERNEL = 'k', OPT_INITRD = 'i', OPT_CMDLINE = 'c', OPT_MEM = 'm', OPT_CPUS = 'p',
	OPT_NAME = 'n', OPT_HELP = 'h', OPT_ON_RESET = 256, OPT_CONSOLE, OPT_CONSOLE_SOCKET,
	OPT_HALT_POLL, OPT_EXIT_STATS, OPT_IDLE_STOP,
	OPT_DEVICE = 1024, /* + type * DEVICE_OPTS_MAX + option: the device types' own */
};
#define DEVICE_OPTS_MAX 16
#define OPTIONS_MAX 64

/* vmm's own options; the device types' follow them (machine/devices.c). */
static const struct option common_options[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "on-reset", required_argument, NULL, OPT_ON_RESET },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
	{ "halt-poll-ns", required_argument, NULL, OPT_HALT_POLL },
	{ "exit-stats", no_argument, NULL, OPT_EXIT_STATS },
	{ "idle-stop", required_argument, NULL, OPT_IDLE_STOP },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

void run_options_usage(FILE *out)
{
	fprintf(out,
		"Usage: vmm run --kernel FILE [OPTIONS]\n"
		"Boot a guest kernel under KVM with its serial console on this terminal.\n"
		"\n"
		"  -k, --kernel FILE      ELF64 kernel with a PVH entry note (required)\n"
		"  -i, --initrd FILE      initial ramdisk, passed as a PVH module\n"
		"  -c, --cmdline STR      kernel command line\n"
		"  -m, --mem SIZE         guest RAM, with K/M/G suffix (default 64M)\n"
		"  -p, --cpus N           number of vCPUs (default 1, at most %u)\n"
		"  -n, --name NAME        name of the VM (default: the kernel's file name)\n"
		"      --on-reset=ACTION  restart (default) or exit when the guest resets\n"
		"      --console=MODE     stdio (default): output and input; output: output only;\n"
		"                         none: no console\n"
		"      --console-socket PATH  serve the console on a unix socket (one client at a\n"
		"                         time; a new one takes over); input then comes only from it\n"
		"      --halt-poll-ns N   how long KVM spins for an idle vCPU's next event before\n"
		"                         it sleeps (0: never spin; default: the host's setting)\n"
		"      --exit-stats       when the guest stops, print each vCPU's exits as KVM counts\n"
		"                         them (also those handled in the kernel) on stderr\n"
		"      --idle-stop SECONDS  once the guest has had no vsock connection and no client\n"
		"                         waiting on a --publish listener for SECONDS (1-%u), stop\n"
		"                         accepting (clients wait in the backlog), ask the guest to\n"
		"                         power off as SIGPWR does, and stop it after 10 s if it has not\n"
		"                         (status: its code, else 0); needs a vsock device\n"
		"  -h, --help             show this help\n"
		"\n"
		"Devices (virtio-mmio; each option adds its device):\n",
		VM_MAX_CPUS, VM_IDLE_STOP_MAX);
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
	build_options(options);
	optind = 0; /* full reset: we may be called more than once (tests) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:i:c:m:p:n:h", options, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL: cfg->kernel = optarg; break;
		case OPT_INITRD: cfg->initrd = optarg; break;
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
	if (!cfg->kernel)
		return err_set(e, "no kernel given: use --kernel FILE (see 'vmm run --help')");
	if (cfg->idle_stop_s && !vm_config_has_idle_source(cfg))
		return err_set(e, "--idle-stop needs a vsock device (--publish or --cid)");
	if (!cfg->name)
		cfg->name = basename_of(cfg->kernel);
	return PARSE_OK;
}

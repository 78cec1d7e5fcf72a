#include "daemon/options.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void options_usage(FILE *out)
{
	fprintf(out,
		"Usage: vmmd [OPTIONS]\n"
		"Serves libvirt's remote protocol so that virsh manages vmm VMs\n"
		"(virsh -c vmm:///system, or LIBVIRT_DEFAULT_URI=vmm:///system).\n"
		"\n"
		"  -f, --foreground          stay in the foreground (for systemd)\n"
		"  -s, --socket PATH         listen on PATH (default " VMMD_DEFAULT_SOCKET ")\n"
		"                            and on PATH-ro for read-only clients (virsh -r)\n"
		"      --no-ro-socket        no read-only socket\n"
		"  -g, --group NAME          let group NAME use the sockets (mode 0660)\n"
		"  -d, --state-dir DIR       definitions and run state (default " VMMD_DEFAULT_STATE_DIR ")\n"
		"      --vmm PATH            the vmm binary (default: next to vmmd, else from PATH)\n"
		"      --shutdown-timeout S  destroy a domain S seconds after a shutdown request\n"
		"                            the guest ignored (default 60)\n"
		"      --start-wait MS       how long a start waits to report a vmm that fails\n"
		"                            at once (default 300)\n"
		"      --uri URI             URI reported to clients (default vmm:///system)\n"
		"      --images DIR          domains' kernels, initrds, disks and TLS files must lie\n"
		"                            below DIR (repeatable, up to 8; default\n"
		"                            /var/lib/vmm/images, created when missing); vmmd opens\n"
		"                            them (no symlink out of DIR) and passes them to vmm\n"
		"      --console-log-max SIZE  each VM's log (STATE/run/NAME.log: its console and\n"
		"                            vmm's messages) stays under SIZE, keeping its newest\n"
		"                            part (default: vmm's, 4M; 0: no cap; K/M/G suffixes)\n"
		"      --console-rate SIZE   console bytes a second each VM may log after a burst;\n"
		"                            more is dropped and counted (default: vmm's, 64K)\n"
		"\n"
		"Front door (Debian's nginx, routing sites by host name; see <vmm:site>):\n"
		"      --front ADDR:PORT     serve the sites' HTTP there (repeatable; [IPV6]:PORT)\n"
		"      --front-tls ADDR:PORT serve sites with <vmm:tls> there, by SNI (repeatable)\n"
		"      --front-user NAME     nginx workers' user, given the site sockets' group\n"
		"                            (default " VMMD_DEFAULT_FRONT_USER ")\n"
		"      --front-workers N     nginx worker processes (default 1)\n"
		"      --nginx PATH          the nginx binary (default " VMMD_DEFAULT_NGINX ")\n"
		"  -h, --help                show this help\n"
		"  -V, --version             show the version\n");
}

static int number(const char *s, int min, int max, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* Digits and an optional K, M or G: what vmm takes as a size, checked here
 * so that a typo stops vmmd rather than every domain's start (vmm still
 * checks the bounds: those are reported in the start error). */
static bool size_text(const char *s)
{
	size_t digits = strspn(s, "0123456789");

	return digits > 0 && digits <= 12 && (!s[digits] || (strchr("KkMmGg", s[digits]) && !s[digits + 1]));
}

int options_parse(int argc, char **argv, struct vmmd_options *o)
{
	enum { O_NO_RO = 256, O_VMM, O_SHUTDOWN_TIMEOUT, O_START_WAIT, O_URI, O_FRONT, O_FRONT_TLS, O_FRONT_USER,
	       O_FRONT_WORKERS, O_NGINX, O_IMAGES, O_CONSOLE_LOG_MAX, O_CONSOLE_RATE };
	static const struct option longs[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "no-ro-socket", no_argument, NULL, O_NO_RO },
		{ "group", required_argument, NULL, 'g' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "vmm", required_argument, NULL, O_VMM },
		{ "shutdown-timeout", required_argument, NULL, O_SHUTDOWN_TIMEOUT },
		{ "start-wait", required_argument, NULL, O_START_WAIT },
		{ "uri", required_argument, NULL, O_URI },
		{ "front", required_argument, NULL, O_FRONT },
		{ "front-tls", required_argument, NULL, O_FRONT_TLS },
		{ "front-user", required_argument, NULL, O_FRONT_USER },
		{ "front-workers", required_argument, NULL, O_FRONT_WORKERS },
		{ "nginx", required_argument, NULL, O_NGINX },
		{ "images", required_argument, NULL, O_IMAGES },
		{ "console-log-max", required_argument, NULL, O_CONSOLE_LOG_MAX },
		{ "console-rate", required_argument, NULL, O_CONSOLE_RATE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int opt;

	*o = (struct vmmd_options){ .socket = VMMD_DEFAULT_SOCKET, .ro_socket = true,
				    .state_dir = VMMD_DEFAULT_STATE_DIR, .uri = "vmm:///system",
				    .shutdown_timeout_s = 60, .start_wait_ms = 300,
				    .front_user = VMMD_DEFAULT_FRONT_USER, .nginx = VMMD_DEFAULT_NGINX, .front_workers = 1 };
	optind = 1;
	while ((opt = getopt_long(argc, argv, "fs:g:d:hV", longs, NULL)) != -1) {
		switch (opt) {
		case 'f': o->foreground = true; break;
		case 's': o->socket = optarg; break;
		case O_NO_RO: o->ro_socket = false; break;
		case 'g': o->group = optarg; break;
		case 'd': o->state_dir = optarg; break;
		case O_VMM: o->vmm = optarg; break;
		case O_URI: o->uri = optarg; break;
		case O_FRONT:
		case O_FRONT_TLS: {
			const char **v = opt == O_FRONT ? o->front : o->front_tls;
			unsigned *n = opt == O_FRONT ? &o->nfront : &o->nfront_tls;

			if (*n == VMMD_MAX_FRONT) {
				fprintf(stderr, "vmmd: at most %d --front and %d --front-tls\n", VMMD_MAX_FRONT,
					VMMD_MAX_FRONT);
				return OPTIONS_ERROR;
			}
			v[(*n)++] = optarg;
			break;
		}
		case O_FRONT_USER: o->front_user = optarg; break;
		case O_NGINX: o->nginx = optarg; break;
		case O_IMAGES:
			if (o->nimages == VMMD_MAX_IMAGES) {
				fprintf(stderr, "vmmd: at most %d --images\n", VMMD_MAX_IMAGES);
				return OPTIONS_ERROR;
			}
			o->images[o->nimages++] = optarg;
			break;
		case O_CONSOLE_LOG_MAX:
		case O_CONSOLE_RATE:
			if (!size_text(optarg)) {
				fprintf(stderr, "vmmd: --%s '%s': not a size (examples: 0, 512K, 4M)\n",
					opt == O_CONSOLE_LOG_MAX ? "console-log-max" : "console-rate", optarg);
				return OPTIONS_ERROR;
			}
			*(opt == O_CONSOLE_LOG_MAX ? &o->console_log_max : &o->console_rate) = optarg;
			break;
		case O_FRONT_WORKERS:
			if (number(optarg, 1, 64, &o->front_workers) < 0) {
				fprintf(stderr, "vmmd: --front-workers '%s': use 1 to 64\n", optarg);
				return OPTIONS_ERROR;
			}
			break;
		case O_SHUTDOWN_TIMEOUT:
			if (number(optarg, 0, 86400, &o->shutdown_timeout_s) < 0) {
				fprintf(stderr, "vmmd: --shutdown-timeout '%s': use 0 to 86400 seconds\n", optarg);
				return OPTIONS_ERROR;
			}
			break;
		case O_START_WAIT:
			if (number(optarg, 0, 60000, &o->start_wait_ms) < 0) {
				fprintf(stderr, "vmmd: --start-wait '%s': use 0 to 60000 ms\n", optarg);
				return OPTIONS_ERROR;
			}
			break;
		case 'h': options_usage(stdout); return OPTIONS_EXIT_OK;
		case 'V': printf("vmmd %s\n", VMM_VERSION); return OPTIONS_EXIT_OK;
		default: options_usage(stderr); return OPTIONS_ERROR;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmmd: unexpected argument '%s'\n", argv[optind]);
		return OPTIONS_ERROR;
	}
	if (o->socket[0] != '/' || o->state_dir[0] != '/') {
		fprintf(stderr, "vmmd: --socket and --state-dir need absolute paths\n");
		return OPTIONS_ERROR;
	}
	return OPTIONS_OK;
}

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
		"      --ro-mode MODE        the read-only socket's mode, octal (default 0660\n"
		"                            with --group or --ro-group, else 0666)\n"
		"      --ro-group NAME       the read-only socket's group (default --group's)\n"
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
		"Client limits (so that no user can lock root out or pin the daemon's memory):\n"
		"      --max-clients N       connections in all (default 512; the last 64 only on\n"
		"                            the read-write socket, the last 8 only for root)\n"
		"      --max-clients-per-user N  connections of one user other than root\n"
		"                            (default 32)\n"
		"      --open-timeout S      close a client that has not opened the connection\n"
		"                            within S seconds (default 5)\n"
		"      --ro-idle-timeout S   close a read-only client of another user than root\n"
		"                            silent for S seconds (default 60; 0: never)\n"
		"      --write-timeout S     close a client that has not read its replies for\n"
		"                            S seconds (default 30)\n"
		"      --client-memory SIZE  buffers for all clients; calls past it are refused\n"
		"                            with an error (default 256M; K/M/G suffixes)\n"
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

/* The bytes a size_text means. */
static unsigned long long size_value(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	switch (*end) {
	case 'K': case 'k': return v << 10;
	case 'M': case 'm': return v << 20;
	case 'G': case 'g': return v << 30;
	default: return v;
	}
}

int options_parse(int argc, char **argv, struct vmmd_options *o)
{
	enum { O_NO_RO = 256, O_VMM, O_SHUTDOWN_TIMEOUT, O_START_WAIT, O_URI, O_FRONT, O_FRONT_TLS, O_FRONT_USER,
	       O_FRONT_WORKERS, O_NGINX, O_IMAGES, O_CONSOLE_LOG_MAX, O_CONSOLE_RATE, O_RO_MODE, O_RO_GROUP,
	       O_MAX_CLIENTS, O_MAX_PER_USER, O_OPEN_TIMEOUT, O_RO_IDLE, O_WRITE_TIMEOUT, O_CLIENT_MEMORY };
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
		{ "ro-mode", required_argument, NULL, O_RO_MODE },
		{ "ro-group", required_argument, NULL, O_RO_GROUP },
		{ "max-clients", required_argument, NULL, O_MAX_CLIENTS },
		{ "max-clients-per-user", required_argument, NULL, O_MAX_PER_USER },
		{ "open-timeout", required_argument, NULL, O_OPEN_TIMEOUT },
		{ "ro-idle-timeout", required_argument, NULL, O_RO_IDLE },
		{ "write-timeout", required_argument, NULL, O_WRITE_TIMEOUT },
		{ "client-memory", required_argument, NULL, O_CLIENT_MEMORY },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int opt;

	*o = (struct vmmd_options){ .socket = VMMD_DEFAULT_SOCKET, .ro_socket = true,
				    .state_dir = VMMD_DEFAULT_STATE_DIR, .uri = "vmm:///system",
				    .shutdown_timeout_s = 60, .start_wait_ms = 300,
				    .front_user = VMMD_DEFAULT_FRONT_USER, .nginx = VMMD_DEFAULT_NGINX, .front_workers = 1,
				    .ro_mode = -1, .max_clients = 512, .max_clients_per_user = 32, .open_timeout_s = 5,
				    .ro_idle_timeout_s = 60, .write_timeout_s = 30, .client_memory = 256ull << 20 };
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
		case O_RO_MODE: {
			char *end;
			long v = strtol(optarg, &end, 8);

			if (!*optarg || *end || v < 0 || v > 0777) {
				fprintf(stderr, "vmmd: --ro-mode '%s': an octal mode, 0 to 0777 (example: 0660)\n", optarg);
				return OPTIONS_ERROR;
			}
			o->ro_mode = (int)v;
			break;
		}
		case O_RO_GROUP: o->ro_group = optarg; break;
		case O_MAX_CLIENTS:
			/* above the reserves (64 + 8), so the read-only socket has some */
			if (number(optarg, 80, 100000, &o->max_clients) < 0) {
				fprintf(stderr, "vmmd: --max-clients '%s': use 80 to 100000\n", optarg);
				return OPTIONS_ERROR;
			}
			break;
		case O_MAX_PER_USER:
			if (number(optarg, 1, 100000, &o->max_clients_per_user) < 0) {
				fprintf(stderr, "vmmd: --max-clients-per-user '%s': use 1 to 100000\n", optarg);
				return OPTIONS_ERROR;
			}
			break;
		case O_OPEN_TIMEOUT:
		case O_RO_IDLE:
		case O_WRITE_TIMEOUT: {
			int min = opt == O_RO_IDLE ? 0 : 1;
			int *to = opt == O_OPEN_TIMEOUT ? &o->open_timeout_s
				  : opt == O_RO_IDLE	  ? &o->ro_idle_timeout_s
							  : &o->write_timeout_s;

			if (number(optarg, min, 86400, to) < 0) {
				fprintf(stderr, "vmmd: --%s '%s': use %d to 86400 seconds\n",
					opt == O_OPEN_TIMEOUT ? "open-timeout"
					: opt == O_RO_IDLE    ? "ro-idle-timeout"
							      : "write-timeout",
					optarg, min);
				return OPTIONS_ERROR;
			}
			break;
		}
		case O_CLIENT_MEMORY:
			/* at least one full frame (32 MiB) and a chunk, at most 64 GiB */
			if (!size_text(optarg) || (o->client_memory = size_value(optarg)) < (33ull << 20) ||
			    o->client_memory > (64ull << 30)) {
				fprintf(stderr, "vmmd: --client-memory '%s': a size from 33M to 64G\n", optarg);
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

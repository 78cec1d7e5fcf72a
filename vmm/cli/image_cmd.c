#include "cli/image_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/create.h"
#include "image/inspect.h"
#include "util/err.h"
#include "util/size.h"

#define EXIT_FAILED 1
#define EXIT_USAGE  2

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vmm image create SITE_DIR -o IMAGE [OPTIONS]\n"
		"       vmm image inspect IMAGE\n"
		"A single-file site image: a GPT disk holding the kernel and its command line\n"
		"(boot partition), the site as a ustar archive (content) and optionally an empty\n"
		"database area (data). 'vmm run --disk IMAGE' boots it through the firmware.\n"
		"\n"
		"create options:\n"
		"  -o, --output FILE      the image to write (required)\n"
		"  -f, --force            replace FILE if it exists\n"
		"      --kernel FILE      the kernel (default: the site kernel beside vmm,\n"
		"                         DIR_OF_VMM/guest/site.elf)\n"
		"      --cmdline STR      kernel command line (at most 4095 bytes; default none)\n"
		"      --content-size SIZE  content partition size (default: the archive's);\n"
		"                         e.g. 64M, to leave room\n"
		"      --data-size SIZE   add a zeroed data partition of SIZE (default: none)\n"
		"  Sizes are rounded up to 1 MiB, where every partition starts. Archive\n"
		"  entries get mtime $SOURCE_DATE_EPOCH (default 0), so the same inputs\n"
		"  give the same bytes.\n"
		"\n"
		"inspect prints the partitions, the boot header, the kernel and the command\n"
		"line, then checks the GPT (CRCs, backup, bounds, overlaps), the boot header\n"
		"and the kernel's CRC and PVH note: one 'FAIL: ...' line per failed check,\n"
		"exit status 1 if any.\n");
}

/* DIR_OF_VMM/guest/site.elf: the build puts the site kernel there
 * (build/vmm, build/guest/site.elf). */
static int default_kernel(char *out, size_t len, struct err *e)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n < 0)
		return err_errno(e, "finding vmm's own path (/proc/self/exe) for the default kernel; give --kernel");
	exe[n] = 0;
	if ((size_t)snprintf(out, len, "%s/guest/site.elf", dirname(exe)) >= len)
		return err_set(e, "vmm's path is too long; give --kernel");
	if (access(out, R_OK) < 0)
		return err_errno(e, "the site kernel %s (the default --kernel, beside vmm) is missing; build it (make) or give --kernel", out);
	return 0;
}

static int size_opt(const char *name, const char *v, uint64_t *out)
{
	if (parse_size(v, out) < 0 || *out == 0 || *out > (1ull << 40)) {
		fprintf(stderr, "vmm image: %s %s: expected a size from 1 byte to 1T (e.g. 64M)\n", name, v);
		return -1;
	}
	return 0;
}

static int create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },   { "force", no_argument, NULL, 'f' },
		{ "kernel", required_argument, NULL, 'k' },   { "cmdline", required_argument, NULL, 'c' },
		{ "content-size", required_argument, NULL, 'C' }, { "data-size", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	struct image_create_opts o = { .cmdline = "" };
	struct image_create_result r;
	char kernel[4096 + 32];
	struct err e;
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:fh", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': o.out_path = optarg; break;
		case 'f': o.force = 1; break;
		case 'k': o.kernel_path = optarg; break;
		case 'c': o.cmdline = optarg; break;
		case 'C':
			if (size_opt("--content-size", optarg, &o.content_size) < 0)
				return EXIT_USAGE;
			break;
		case 'D':
			if (size_opt("--data-size", optarg, &o.data_size) < 0)
				return EXIT_USAGE;
			break;
		case 'h': usage(stdout); return 0;
		default: fprintf(stderr, "vmm image: see 'vmm image --help'\n"); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !o.out_path) {
		fprintf(stderr, "vmm image create: expected SITE_DIR and -o IMAGE (see 'vmm image --help')\n");
		return EXIT_USAGE;
	}
	o.site_dir = argv[optind];
	if (epoch && parse_uint(epoch, 0, 077777777777ull, &o.mtime) < 0) {
		fprintf(stderr, "vmm image create: SOURCE_DATE_EPOCH=%s is not a time in seconds\n", epoch);
		return EXIT_USAGE;
	}
	if (!o.kernel_path) {
		if (default_kernel(kernel, sizeof kernel, &e) < 0) {
			fprintf(stderr, "vmm image create: %s\n", e.msg);
			return EXIT_FAILED;
		}
		o.kernel_path = kernel;
	}
	if (image_create(&o, &r, &e) < 0) {
		fprintf(stderr, "vmm image create: %s\n", e.msg);
		return EXIT_FAILED;
	}
	printf("%s: %llu bytes (%llu MiB): kernel %llu bytes, archive %llu bytes (%llu files, %llu directories)",
	       o.out_path, (unsigned long long)r.bytes, (unsigned long long)(r.bytes >> 20),
	       (unsigned long long)r.kernel_bytes, (unsigned long long)r.archive_bytes, (unsigned long long)r.files,
	       (unsigned long long)r.dirs);
	if (r.data_count)
		printf(", data %llu MiB", (unsigned long long)(r.data_count * 512 >> 20));
	printf("\n");
	return 0;
}

struct file_ctx {
	int fd;
};

static int file_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct file_ctx *f = ctx;
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(f->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int inspect(int argc, char **argv)
{
	struct file_ctx f;
	struct stat sb;
	unsigned failed;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "vmm image inspect: expected one IMAGE (see 'vmm image --help')\n");
		return EXIT_USAGE;
	}
	if ((f.fd = open(argv[1], O_RDONLY | O_CLOEXEC)) < 0 || fstat(f.fd, &sb) < 0) {
		fprintf(stderr, "vmm image inspect: %s: %s\n", argv[1], strerror(errno));
		return EXIT_FAILED;
	}
	/* A block device is fine too: its size comes from seeking to the end. */
	off_t size = S_ISBLK(sb.st_mode) ? lseek(f.fd, 0, SEEK_END) : sb.st_size;
	if (!S_ISREG(sb.st_mode) && !S_ISBLK(sb.st_mode)) {
		fprintf(stderr, "vmm image inspect: %s: not a regular file or block device\n", argv[1]);
		close(f.fd);
		return EXIT_FAILED;
	}
	struct image_reader r = { file_read, &f, size < 0 ? 0 : (uint64_t)size };
	failed = image_inspect(&r, stdout);
	close(f.fd);
	return failed ? EXIT_FAILED : 0;
}

int image_cmd(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "create"))
		return create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "inspect"))
		return inspect(argc - 1, argv + 1);
	fprintf(stderr, "vmm image: unknown command '%s' (create or inspect; see 'vmm image --help')\n", argv[1]);
	return EXIT_USAGE;
}

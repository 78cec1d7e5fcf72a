#include "machine/boot_image.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/acpi.h"
#include "boot/elf_pvh.h"
#include "abi/platform.h"
#include "boot/start_info.h"
#include "kvm/vcpu.h"
#include "util/file_arg.h"

/* Opens a file the user named (a path or fd:N) and checks it is a regular,
 * non-empty file. */
static int open_input(const char *what, const char *arg, char *label, struct err *e)
{
	struct stat st;
	int fd = file_arg_open(what, arg, O_RDONLY, label, e);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		err_errno(e, "cannot stat %s %s", what, label);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		err_set(e, "%s %s is a directory", what, label);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, "%s %s is not a regular file", what, label);
		goto fail;
	}
	if (st.st_size == 0) {
		err_set(e, "%s %s is empty", what, label);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int boot_files_open(struct boot_files *f, const struct vm_config *cfg, struct err *e)
{
	f->kernel_fd = f->initrd_fd = -1;
	f->kernel_mem = NULL;
	f->kernel_mem_size = 0;
	f->firmware = cfg->boot_firmware;
	if (cfg->boot_firmware && !cfg->firmware) {
		/* In vmm's own image: a reboot reads it again, nothing is opened. */
		f->kernel_mem = vmm_firmware_elf;
		f->kernel_mem_size = (size_t)(vmm_firmware_elf_end - vmm_firmware_elf);
		snprintf(f->kernel, sizeof f->kernel, "(built-in firmware)");
		return 0;
	}
	f->kernel_fd = open_input(cfg->boot_firmware ? "firmware" : "kernel", cfg->boot_firmware ? cfg->firmware : cfg->kernel,
				  f->kernel, e);
	if (f->kernel_fd < 0)
		return -1;
	if (cfg->initrd && (f->initrd_fd = open_input("initrd", cfg->initrd, f->initrd, e)) < 0) {
		boot_files_close(f);
		return -1;
	}
	return 0;
}

void boot_files_close(struct boot_files *f)
{
	if (f->kernel_fd >= 0)
		close(f->kernel_fd);
	if (f->initrd_fd >= 0)
		close(f->initrd_fd);
	f->kernel_fd = f->initrd_fd = -1;
}

/* A kernel file is read whole into memory; vmlinux with debug sections stays well below this. */
#define KERNEL_FILE_MAX (1ull << 30)

/* The file's size now (it may have changed since the last boot): a file
 * that shrank to nothing or grew past limit is refused. */
static int input_size(int fd, const char *what, const char *label, uint64_t limit, uint64_t *size, struct err *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return err_errno(e, "cannot stat %s %s", what, label);
	if (st.st_size == 0)
		return err_set(e, "%s %s is empty", what, label);
	if ((uint64_t)st.st_size > limit)
		return err_set(e, "%s %s (%llu KiB) is larger than %llu MiB", what, label,
			       (unsigned long long)(st.st_size >> 10), (unsigned long long)(limit >> 20));
	*size = (uint64_t)st.st_size;
	return 0;
}

/* All of size bytes from offset 0 of fd: pread, so each boot reads the same
 * descriptor from its start whatever an earlier boot left. */
static int read_all(int fd, void *dst, uint64_t size, const char *what, const char *label, struct err *e)
{
	for (uint64_t done = 0; done < size;) {
		ssize_t n = pread(fd, (uint8_t *)dst + done, size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno(e, "cannot read %s %s", what, label);
		if (n == 0)
			return err_set(e, "cannot read %s %s: it shrank while being read", what, label);
		done += (uint64_t)n;
	}
	return 0;
}

/* Read into memory rather than mapped: a file truncated under a mapping
 * would kill vmm with SIGBUS. */
static int load_kernel(const struct boot_files *f, struct guest_mem *m, struct pvh_image *img, struct err *e)
{
	const char *what = f->firmware ? "firmware" : "kernel";
	uint64_t size;
	void *buf;
	int rc;

	if (f->kernel_mem) {
		rc = pvh_load_firmware(f->kernel_mem, f->kernel_mem_size, m, img, e);
		if (rc < 0) {
			char inner[sizeof e->msg];
			memcpy(inner, e->msg, sizeof inner);
			err_set(e, "built-in firmware: %s", inner);
		}
		return rc;
	}
	if (input_size(f->kernel_fd, what, f->kernel, KERNEL_FILE_MAX, &size, e) < 0)
		return -1;
	buf = malloc(size);
	if (!buf)
		return err_set(e, "out of memory for kernel %s", f->kernel);
	rc = read_all(f->kernel_fd, buf, size, what, f->kernel, e);
	if (rc == 0) {
		rc = f->firmware ? pvh_load_firmware(buf, size, m, img, e) : pvh_load(buf, size, m, img, e);
		if (rc < 0) {
			char inner[sizeof e->msg];
			memcpy(inner, e->msg, sizeof inner);
			err_set(e, "%s %s: %s", what, f->kernel, inner);
		}
	}
	free(buf);
	return rc;
}

/* The initrd goes at the top of low RAM, page-aligned, above the kernel. */
static int load_initrd(const struct boot_files *f, struct guest_mem *m, uint64_t kernel_end, struct boot_module *mod,
		       struct err *e)
{
	uint64_t size, gpa;

	if (input_size(f->initrd_fd, "initrd", f->initrd, UINT64_MAX, &size, e) < 0)
		return -1;
	gpa = size <= m->low_size ? (m->low_size - size) & ~0xfffull : 0;
	if (size > m->low_size || gpa < kernel_end)
		return err_set(e, "initrd %s (%llu KiB) does not fit above the kernel in %llu MiB of RAM; try a larger --mem",
			       f->initrd, (unsigned long long)(size >> 10), (unsigned long long)(m->size >> 20));
	if (read_all(f->initrd_fd, guest_mem_ptr(m, gpa, size), size, "initrd", f->initrd, e) < 0)
		return -1;
	mod->paddr = gpa;
	mod->size = size;
	return 0;
}

int boot_image_load(const struct vm_config *cfg, struct guest_mem *m, struct boot_entry *out, struct err *e)
{
	const struct boot_files *f = cfg->files;
	struct pvh_image img;
	struct boot_module initrd;
	uint64_t rsdp;
	void *gdt;

	if (load_kernel(f, m, &img, e) < 0)
		return -1;
	if (f->initrd_fd >= 0 && load_initrd(f, m, img.highest, &initrd, e) < 0)
		return -1;
	if (acpi_build(m, cfg->cpus, &rsdp, e) < 0)
		return -1;
	if (start_info_write(m, cfg->cmdline, f->initrd_fd >= 0 ? &initrd : NULL, rsdp, &out->start_info, e) < 0)
		return -1;
	gdt = guest_mem_ptr(m, GPA_BOOT_GDT, 32);
	if (!gdt)
		return err_set(e, "guest memory too small for the boot GDT");
	vcpu_write_boot_gdt(gdt);
	out->rip = img.entry;
	return 0;
}

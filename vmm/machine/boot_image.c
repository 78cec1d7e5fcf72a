#include "machine/boot_image.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/acpi.h"
#include "boot/elf_pvh.h"
#include "abi/platform.h"
#include "boot/start_info.h"
#include "kvm/vcpu.h"
#include "machine/kernel_cache.h"
#include "util/file_arg.h"

/* Opens a file the user named (a path or fd:N) and checks it is a regular,
 * non-empty file; its fstat in *st. */
static int open_input(const char *what, const char *arg, char *label, struct stat *st, struct err *e)
{
	int fd = file_arg_open(what, arg, O_RDONLY, label, e);

	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0) {
		err_errno(e, "cannot stat %s %s", what, label);
		goto fail;
	}
	if (S_ISDIR(st->st_mode)) {
		err_set(e, "%s %s is a directory", what, label);
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		err_set(e, "%s %s is not a regular file", what, label);
		goto fail;
	}
	if (st->st_size == 0) {
		err_set(e, "%s %s is empty", what, label);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Whether fd is a memfd sealed so that its bytes can never change nor its
 * end move below a mapping (F_SEAL_SHRINK | F_SEAL_WRITE). Seals are never
 * lifted, so the answer at open holds for the whole run, and a reboot under
 * the jail's filter needs no fcntl. Anything else (a regular file, an
 * unsealed memfd) says no. */
static bool kernel_fd_sealed(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	return seals >= 0 && (seals & (F_SEAL_SHRINK | F_SEAL_WRITE)) == (F_SEAL_SHRINK | F_SEAL_WRITE);
}

int boot_files_open(struct boot_files *f, const struct vm_config *cfg, const char *kernel_cache, struct err *e)
{
	struct stat st;

	f->kernel_fd = f->initrd_fd = -1;
	f->kernel_mem = NULL;
	f->kernel_mem_size = 0;
	f->firmware = cfg->boot_firmware;
	f->kernel_fixed = false;
	if (cfg->boot_firmware && !cfg->firmware) {
		/* In vmm's own image: a reboot reads it again, nothing is opened. */
		f->kernel_mem = vmm_firmware_elf;
		f->kernel_mem_size = (size_t)(vmm_firmware_elf_end - vmm_firmware_elf);
		snprintf(f->kernel, sizeof f->kernel, "(built-in firmware)");
		return 0;
	}
	f->kernel_fd = open_input(cfg->boot_firmware ? "firmware" : "kernel", cfg->boot_firmware ? cfg->firmware : cfg->kernel,
				  f->kernel, &st, e);
	if (f->kernel_fd < 0)
		return -1;
	f->kernel_fixed = !f->firmware && kernel_fd_sealed(f->kernel_fd);
	if (!f->firmware && !f->kernel_fixed) {
		int copy = kernel_cache_open(f->kernel_fd, &st, kernel_cache);

		if (copy >= 0) {
			close(f->kernel_fd);
			f->kernel_fd = copy;
			f->kernel_fixed = true;
		}
	}
	if (cfg->initrd && (f->initrd_fd = open_input("initrd", cfg->initrd, f->initrd, &st, e)) < 0) {
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

/* size bytes at offset off of fd: pread, so each boot reads the same
 * descriptor whatever an earlier boot left. */
static int read_at(int fd, void *dst, uint64_t off, uint64_t size, const char *what, const char *label,
		   struct err *e)
{
	for (uint64_t done = 0; done < size;) {
		ssize_t n = pread(fd, (uint8_t *)dst + done, size - done, (off_t)(off + done));

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

static int read_all(int fd, void *dst, uint64_t size, const char *what, const char *label, struct err *e)
{
	return read_at(fd, dst, 0, size, what, label, e);
}

/* The part of [off, off + len) that lies within the file's size bytes, into
 * the same place of buf. */
static int read_within(int fd, uint8_t *buf, uint64_t size, uint64_t off, uint64_t len, const char *label,
		       struct err *e)
{
	if (off >= size)
		return 0;
	return read_at(fd, buf + off, off, len < size - off ? len : size - off, "kernel", label, e);
}

/* One PT_LOAD segment's file bytes to their place in RAM (the rest of its
 * memory is fresh RAM, zero). From a kernel whose bytes never change (a
 * sealed memfd, or vmm's cached copy), the whole pages inside its file
 * range are mapped from the file, copy-on-write, where the file offset and
 * the address agree within a page: every VM booted from the same file
 * then shares the pages its guest only reads (the site kernel's
 * code and read-only data: ~1 MiB of 1.25 MiB it touches). The partial
 * pages at either end are read, so that the bytes around the segment (the
 * bss, gaps, a neighbour's) stay what they would be. */
static int load_segment(const struct boot_files *f, struct guest_mem *m, const Elf64_Phdr *ph, struct err *e)
{
	uint64_t first = (ph->p_offset + 0xfff) & ~0xfffull, end = (ph->p_offset + ph->p_filesz) & ~0xfffull;
	uint8_t *dst = guest_mem_ptr(m, ph->p_paddr, ph->p_memsz);

	if (!f->kernel_fixed || ((ph->p_offset ^ ph->p_paddr) & 0xfff) || end <= first)
		return read_at(f->kernel_fd, dst, ph->p_offset, ph->p_filesz, "kernel", f->kernel, e);
	if (read_at(f->kernel_fd, dst, ph->p_offset, first - ph->p_offset, "kernel", f->kernel, e) < 0)
		return -1;
	if (guest_mem_map_file(m, ph->p_paddr + (first - ph->p_offset), f->kernel_fd, first, end - first, e) < 0) {
		char inner[sizeof e->msg];
		memcpy(inner, e->msg, sizeof inner);
		return err_set(e, "kernel %s: %s", f->kernel, inner);
	}
	return read_at(f->kernel_fd, dst + (end - ph->p_offset), end, ph->p_offset + ph->p_filesz - end, "kernel",
		       f->kernel, e);
}

/* A kernel file whose segments are read straight into guest RAM: into a
 * file-sized zero mapping only what pvh_check reads (the ELF header, the
 * program headers, the notes), the rest left untouched so it costs no page;
 * once the image is checked, each segment from the file to its place.
 * Reading the whole file into a buffer and copying from it cost 0.75 ms of
 * a cold start more (site.elf, 1.5 MiB, PVM host): the buffer's page faults
 * and the copy. */
static int load_kernel_file(const struct boot_files *f, uint64_t size, struct guest_mem *m, struct pvh_image *img,
			    struct err *e)
{
	uint8_t *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int rc = -1;

	if (buf == MAP_FAILED)
		return err_errno(e, "out of memory for kernel %s", f->kernel);
	if (read_within(f->kernel_fd, buf, size, 0, sizeof eh, f->kernel, e) < 0)
		goto out;
	memcpy(&eh, buf, sizeof eh); /* zeros past a short file: pvh_check refuses it */
	if (read_within(f->kernel_fd, buf, size, eh.e_phoff, (uint64_t)eh.e_phnum * sizeof ph, f->kernel, e) < 0)
		goto out;
	for (unsigned i = 0; eh.e_phoff < size && i < eh.e_phnum && (size - eh.e_phoff) / sizeof ph > i; i++) {
		memcpy(&ph, buf + eh.e_phoff + i * sizeof ph, sizeof ph);
		if (ph.p_type == PT_NOTE &&
		    read_within(f->kernel_fd, buf, size, ph.p_offset, ph.p_filesz, f->kernel, e) < 0)
			goto out;
	}
	if (pvh_check(buf, size, m, img, e) < 0) {
		char inner[sizeof e->msg];
		memcpy(inner, e->msg, sizeof inner);
		err_set(e, "kernel %s: %s", f->kernel, inner);
		goto out;
	}
	/* Checked: each segment's file range lies within the file and its
	 * memory within guest RAM, file size at most memory size. The header
	 * again from buf, which pvh_check saw: a note read may have rewritten
	 * it if the file changed meanwhile. */
	memcpy(&eh, buf, sizeof eh);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, buf + eh.e_phoff + i * sizeof ph, sizeof ph);
		if (ph.p_type == PT_LOAD && ph.p_memsz > 0 && ph.p_filesz > 0 && load_segment(f, m, &ph, e) < 0)
			goto out;
	}
	rc = 0;
out:
	munmap(buf, size);
	return rc;
}

/* Read into memory rather than mapped: a file truncated under a mapping
 * would kill vmm with SIGBUS. The exceptions: a memfd sealed against
 * shrinking and writing (vmmd passes one per kernel file, shared by its
 * VMs), which nothing can truncate, and vmm's cached copy of a kernel
 * file (kernel_cache.h), which only our user may write and vmm never
 * does: load_segment maps their whole pages. */
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
	if (!f->firmware)
		return load_kernel_file(f, size, m, img, e);
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
	uint64_t rsdp = 0;
	void *gdt;

	if (load_kernel(f, m, &img, e) < 0)
		return -1;
	if (f->initrd_fd >= 0 && load_initrd(f, m, img.highest, &initrd, e) < 0)
		return -1;
	if (!img.no_acpi && acpi_build(m, cfg->cpus, &rsdp, e) < 0)
		return -1;
	if (start_info_write(m, cfg->cmdline, f->initrd_fd >= 0 ? &initrd : NULL, rsdp, &out->start_info, e) < 0)
		return -1;
	gdt = guest_mem_ptr(m, GPA_BOOT_GDT, 32);
	if (!gdt)
		return err_set(e, "guest memory too small for the boot GDT");
	vcpu_write_boot_gdt(gdt);
	out->rip = img.entry;
	out->no_pit = img.no_pit;
	return 0;
}

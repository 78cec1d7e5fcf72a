#include "machine/boot_image.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/acpi.h"
#include "boot/elf_pvh.h"
#include "abi/platform.h"
#include "boot/start_info.h"
#include "kvm/vcpu.h"

/* Opens a file the user named and checks it is a regular, non-empty file. */
static int open_input(const char *what, const char *path, struct stat *st, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_errno(e, "cannot open %s '%s'", what, path);
	if (fstat(fd, st) < 0) {
		err_errno(e, "cannot stat %s '%s'", what, path);
		goto fail;
	}
	if (S_ISDIR(st->st_mode)) {
		err_set(e, "%s '%s' is a directory", what, path);
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		err_set(e, "%s '%s' is not a regular file", what, path);
		goto fail;
	}
	if (st->st_size == 0) {
		err_set(e, "%s '%s' is empty", what, path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

static int load_kernel(const char *path, struct guest_mem *m, struct pvh_image *img, struct err *e)
{
	struct stat st;
	void *map;
	int fd = open_input("kernel", path, &st, e), rc;

	if (fd < 0)
		return -1;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return err_errno(e, "cannot map kernel '%s'", path);
	rc = pvh_load(map, (size_t)st.st_size, m, img, e);
	munmap(map, (size_t)st.st_size);
	if (rc < 0) {
		char inner[sizeof e->msg];
		memcpy(inner, e->msg, sizeof inner);
		err_set(e, "kernel '%s': %s", path, inner);
	}
	return rc;
}

/* The initrd goes at the top of low RAM, page-aligned, above the kernel. */
static int load_initrd(const char *path, struct guest_mem *m, uint64_t kernel_end, struct boot_module *mod,
		       struct err *e)
{
	struct stat st;
	uint64_t size, gpa;
	uint8_t *dst;
	int fd = open_input("initrd", path, &st, e);

	if (fd < 0)
		return -1;
	size = (uint64_t)st.st_size;
	gpa = size <= m->low_size ? (m->low_size - size) & ~0xfffull : 0;
	if (size > m->low_size || gpa < kernel_end) {
		close(fd);
		return err_set(e, "initrd '%s' (%llu KiB) does not fit above the kernel in %llu MiB of RAM; try a larger --mem",
			       path, (unsigned long long)(size >> 10), (unsigned long long)(m->size >> 20));
	}
	dst = guest_mem_ptr(m, gpa, size);
	for (uint64_t done = 0; done < size;) {
		ssize_t n = pread(fd, dst + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_errno(e, "cannot read initrd '%s'", path);
			close(fd);
			return -1;
		}
		done += (uint64_t)n;
	}
	close(fd);
	mod->paddr = gpa;
	mod->size = size;
	return 0;
}

int boot_image_load(const struct vm_config *cfg, struct guest_mem *m, struct boot_entry *out, struct err *e)
{
	struct pvh_image img;
	struct boot_module initrd;
	uint64_t rsdp;
	void *gdt;

	if (load_kernel(cfg->kernel, m, &img, e) < 0)
		return -1;
	if (cfg->initrd && load_initrd(cfg->initrd, m, img.highest, &initrd, e) < 0)
		return -1;
	if (acpi_build(m, cfg->cpus, &rsdp, e) < 0)
		return -1;
	if (start_info_write(m, cfg->cmdline, cfg->initrd ? &initrd : NULL, rsdp, &out->start_info, e) < 0)
		return -1;
	gdt = guest_mem_ptr(m, GPA_BOOT_GDT, 32);
	if (!gdt)
		return err_set(e, "guest memory too small for the boot GDT");
	vcpu_write_boot_gdt(gdt);
	out->rip = img.entry;
	return 0;
}

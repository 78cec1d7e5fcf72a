/* guest/db/blkvfs_os.c: the OS layer SQLITE_OS_OTHER=1 leaves to us.
 * sqlite3_initialize() calls sqlite3_os_init(), which registers the
 * "vmm-blk" VFS as the default, with no device yet: ":memory:" databases
 * work at once, files only after blkvfs_register() attached a disk. Kept
 * apart from blkvfs.c so that a program may bring its own OS layer and
 * still use the VFS (blkvfs_register registers it too). */
#include "sqlite3.h"
#include "blkvfs.h"

int sqlite3_os_init(void)
{
	return blkvfs_vfs_init();
}

int sqlite3_os_end(void)
{
	return SQLITE_OK;
}

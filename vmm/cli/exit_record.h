/* `vmm run --exit-status FILE`: vmm writes how it ended to a file, for a
 * parent that may not be there to wait for it (vmmd, across its own
 * restart: the vmm is then init's child, and only this record says
 * whether the guest powered off or crashed). The file holds one line,
 * "exit N\n", N being vmm's exit status; it stays empty where vmm never
 * got to write it (killed by a signal). */
#ifndef VMM_CLI_EXIT_RECORD_H
#define VMM_CLI_EXIT_RECORD_H

#include "util/err.h"

/* arg: a path (created 0600 or emptied) or fd:N (util/file_arg.h; the
 * parent's descriptor open for reading and writing, its file empty).
 * Returns a descriptor of our own, or -1 with e. */
int exit_record_open(const char *arg, struct err *e);
/* Writes "exit STATUS\n" at the file's start; fd < 0: nothing. */
void exit_record_write(int fd, int status);

#endif

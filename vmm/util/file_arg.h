/* A file named on vmm's command line: a path, or "fd:N", a descriptor the
 * parent opened and passed (how vmmd hands over files below its image
 * directories, so that vmm itself needs no path to them). Either way vmm
 * opens it once, before the first boot, and keeps the descriptor: a reboot
 * opens no path. */
#ifndef VMM_UTIL_FILE_ARG_H
#define VMM_UTIL_FILE_ARG_H

#include "util/err.h"

#define FILE_ARG_LABEL 256

/* Opens arg (O_RDONLY or O_RDWR in flags; O_CLOEXEC is added) and returns a
 * descriptor of our own, or -1 with e ("cannot open WHAT 'PATH': ...",
 * "WHAT fd N is not open ..."). For fd:N the parent's descriptor must be open
 * with a compatible access mode; vmm works on a close-on-exec duplicate, so
 * the same N may be named twice. label gets how messages name the file:
 * 'PATH' (quoted) or fd N. */
int file_arg_open(const char *what, const char *arg, int flags, char label[FILE_ARG_LABEL], struct err *e);

#endif

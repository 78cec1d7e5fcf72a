#include "jail/landlock_scope.h"

#include <errno.h>
#include <linux/landlock.h>
#include <linux/types.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The installed <linux/landlock.h> may predate ABI 6 (Debian's has only
 * handled_access_fs): the attribute is laid out as the kernel's (fs, net,
 * scoped; the size passed says which fields are there) and the scope bits
 * are the kernel's values. */
struct scope_attr {
	__u64 handled_access_fs;
	__u64 handled_access_net;
	__u64 scoped;
};

#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

#define SCOPE_ABI 6 /* the first ABI with both scopes */

int landlock_scope_ruleset(struct err *e)
{
	struct scope_attr a = { 0, 0, LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL };
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	long fd;

	if (abi < 0)
		return err_errno(e, "jail: Landlock is not available");
	if (abi < SCOPE_ABI)
		return err_set(e, "jail: Landlock ABI %ld has no scoping (needs %d)", abi, SCOPE_ABI);
	fd = syscall(SYS_landlock_create_ruleset, &a, sizeof a, 0);
	if (fd < 0)
		return err_errno(e, "jail: Landlock ruleset (abstract unix sockets, signals)");
	return (int)fd;
}

int landlock_scope_restrict(int ruleset, struct err *e)
{
	int rc = 0;

	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		rc = err_errno(e, "jail: Landlock restrict_self");
	close(ruleset);
	return rc;
}

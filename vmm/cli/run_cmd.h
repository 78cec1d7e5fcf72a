#ifndef VMM_CLI_RUN_CMD_H
#define VMM_CLI_RUN_CMD_H

struct vm_ahead;
struct jail_state;

/* `vmm run`: argv[0] is "run". Returns the process exit status. */
int run_cmd(int argc, char **argv);

/* What a standby made before it knew its VM (cli/standby_cmd.h): /dev/kvm
 * open, and RAM and a VM of some size. Both stay the caller's; the first
 * boot takes the VM if its RAM size is the VM's, and the VM is freed after
 * that boot either way. */
struct run_ahead {
	int kvm_fd;
	struct vm_ahead *vm;
	/* the jail's namespaces, built for a run that keeps no paths
	 * (run_jail_ahead); the run takes or frees them */
	struct jail_state *jail;
};

/* run_cmd with what ahead holds (NULL: as run_cmd). */
int run_cmd_ahead(int argc, char **argv, const struct run_ahead *ahead);

#endif

#ifndef VMM_CLI_STANDBY_CMD_H
#define VMM_CLI_STANDBY_CMD_H

/* `vmm standby`: argv[0] is "standby", argv0 vmm's own. A vmm started ahead of its VM: it
 * opens /dev/kvm, makes guest RAM and a KVM VM, waits for the `vmm run` a
 * manager hands it (cli/standby_proto.h) and runs it, so that the run's start
 * skips the exec, vmm's own start-up and the VM's creation. Returns the
 * process exit status (the run's). */
int standby_cmd(const char *argv0, int argc, char **argv);

#endif

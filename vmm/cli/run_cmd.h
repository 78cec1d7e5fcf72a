#ifndef VMM_CLI_RUN_CMD_H
#define VMM_CLI_RUN_CMD_H

/* `vmm run`: argv[0] is "run". Returns the process exit status. */
int run_cmd(int argc, char **argv);

#endif

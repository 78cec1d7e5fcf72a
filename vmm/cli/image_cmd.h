/* vmm image: create and inspect single-file site images (vmm/image/). */
#ifndef VMM_CLI_IMAGE_CMD_H
#define VMM_CLI_IMAGE_CMD_H

/* argv[0] is "image". Returns the exit status: 0, 1 (inspect found a
 * failed check; create failed) or 2 (usage). */
int image_cmd(int argc, char **argv);

#endif

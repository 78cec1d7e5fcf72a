#include "util/owned.h"

#include <unistd.h>

bool owned_by_us(const struct stat *st)
{
	return st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

bool dir_owned_by_us(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && owned_by_us(&st);
}

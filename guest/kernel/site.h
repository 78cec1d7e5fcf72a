/* The site: content archive on the disk, its index, site.conf. */
#ifndef GUEST_KERNEL_SITE_H
#define GUEST_KERNEL_SITE_H

#include "kernel.h"
#include "http/http_serve.h"

extern struct site site;
extern struct site_conf conf;
extern struct http_server server;
extern bool site_in_ram; /* whole archive in memory; else bodies stream from disk */

void site_load(void);

#endif

/* The site's app routes (site.conf `app PREFIX FILE`): Lua handlers run at
 * ring 3 in one Lua state, each request within site.conf's instruction
 * budget and memory cap. Compiled against musl's headers (app.c), so this
 * header names nothing of libc. */
#ifndef GUEST_KERNEL_APP_H
#define GUEST_KERNEL_APP_H

struct http_server;
struct site;
struct site_conf;

/* Loads every app route's Lua file from the site (a file that does not
 * load or does not return a function is reported and its route answers
 * 500) and plugs the handler into srv. No-op without app routes. */
void app_init(struct site *site, const struct site_conf *conf, struct http_server *srv);

#endif

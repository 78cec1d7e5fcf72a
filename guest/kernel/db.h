/* The site's database: SQLite on the data disk (the second virtio-blk
 * device) through guest/db's VFS, and its Lua binding `db` for the app
 * handlers. Compiled against musl's headers (db.c). */
#ifndef GUEST_KERNEL_DB_H
#define GUEST_KERNEL_DB_H

struct lua_State;
struct site;

/* With a data disk: formats it if blank, opens the database (panics with
 * EXIT_DATA_DISK and the reason when the disk is foreign, corrupt or too
 * small) and runs schema.sql from the site when the database has no table
 * yet. Without one: nothing (handlers then have no `db`). */
void db_init(struct site *site); /* called only for sites with app routes */
/* Sets the global `db` in L (nothing without a database). */
void db_open_lua(struct lua_State *L);
/* After a request: rolls back a transaction the handler left open (an
 * error or a stop in the middle); 1 when it had to. */
int db_end_request(void);
/* The handler's budget reaches into SQLite: called every few thousand
 * virtual-machine steps of a statement; non-zero interrupts it. */
extern int (*db_progress)(void);

#endif

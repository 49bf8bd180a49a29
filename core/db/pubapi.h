/* db/pubapi.h - the core's side of <pbx/db.h>: main.c hands it the
 * worker pool, and the REST layer turns its results into the public
 * row type. Not for modules.
 */
#ifndef PBX_DB_PUBAPI_H
#define PBX_DB_PUBAPI_H

#include <libpq-fe.h>

#include <pbx/db.h>

struct pbx_db;

/* Serve <pbx/db.h> with <db> (borrowed; it must stay until
 * pbx_db_api_stop()). Call after pbx_db_alloc(), before modules load.
 * Loop thread.
 */
void pbx_db_api_start(struct pbx_db *db);

/* Stop serving: later calls get ESHUTDOWN. Call after pbx_db_free()
 * (which runs every queued statement and its completion, so modules'
 * writes are not lost) and before modules unload. Loop thread.
 */
void pbx_db_api_stop(void);

/* LISTEN on <channel> too (pbx_db_watch()); blocks until it is in
 * place. 0, ESHUTDOWN (not serving), or pbx_db_listen_add()'s errno.
 */
int pbx_db_api_listen(const char *channel);

/* Copy the rows of <pg> (a PGRES_TUPLES_OK or PGRES_COMMAND_OK result)
 * into a new result; <pg> stays the caller's. NULL if out of memory.
 */
struct pbx_db_res *pbx_db_res_from_pg(const PGresult *pg);

#endif

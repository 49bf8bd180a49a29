/* db/db_int.h - glue between db.c and listen.c; not for other callers. */
#ifndef PBX_DB_DB_INT_H
#define PBX_DB_DB_INT_H

struct pbx_db;
struct pbx_db_listener;

void pbx_db_set_listener(struct pbx_db *db, struct pbx_db_listener *l);
struct pbx_db_listener *pbx_db_get_listener(struct pbx_db *db);
const char *pbx_db_conninfo(const struct pbx_db *db);

/* Stop and join the LISTEN thread; NULL is fine. Notes it already
 * posted still reference <l>, so it is freed separately, after them.
 */
void pbx_db_listener_stop(struct pbx_db_listener *l);
void pbx_db_listener_free(struct pbx_db_listener *l);

#endif

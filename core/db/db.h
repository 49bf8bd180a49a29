/* db/db.h - PostgreSQL access for the core.
 *
 * Two ways in, one per kind of thread:
 *  - the loop thread submits jobs: <run> executes on a worker thread with
 *    that worker's own connection, then <done> runs back on the loop;
 *  - threads that may block (REST handlers, CLI commands) borrow a
 *    connection from a pool and talk to PostgreSQL directly.
 * SQL always goes through parameters (PQexecParams/PQexecPrepared).
 */
#ifndef PBX_DB_DB_H
#define PBX_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

struct pbx_db;
struct pbx_db_pool;

/* Worker thread: do the work on <conn>, return 0 or an errno (EIO for a
 * database error, after logging it). Never touches loop state.
 */
typedef int (pbx_db_run_h)(PGconn *conn, void *arg);

/* Loop thread: <err> is what <run> returned (or ECANCELED if the job
 * never ran because pbxd is stopping).
 */
typedef void (pbx_db_done_h)(int err, void *arg);

/* Loop thread: a NOTIFY arrived on <channel> with <payload>. */
typedef void (pbx_db_notify_h)(const char *channel, const char *payload,
			       void *arg);

/* Loop thread: the LISTEN connection was (re)established; notifications
 * may have been missed, so caches must be refreshed.
 */
typedef void (pbx_db_resync_h)(void *arg);

/* Start <workers> worker threads on <conninfo>. Loop thread. Workers
 * connect lazily and reconnect after errors.
 */
int pbx_db_alloc(struct pbx_db **dbp, const char *conninfo,
		 unsigned workers);

/* Queue a job. Loop thread. 0 or ENOMEM/ESHUTDOWN. */
int pbx_db_submit(struct pbx_db *db, pbx_db_run_h *run,
		  pbx_db_done_h *done, void *arg);

/* Any thread: run <done>(err, arg) on the loop. */
int pbx_db_post(struct pbx_db *db, pbx_db_done_h *done, void *arg, int err);

/* Start the LISTEN thread for the NULL-terminated <channels>. */
int pbx_db_listen(struct pbx_db *db, const char *const *channels,
		  pbx_db_notify_h *nh, pbx_db_resync_h *rh, void *arg);

/* Add <channel> (a plain identifier: callers check) to the running
 * LISTEN thread, whose handlers then get its notifications too; waits
 * until the LISTEN is in place. 0, EINVAL (no listener yet), ENOMEM,
 * EIO (not listening after 10 s). Blocks: start-up only.
 */
int pbx_db_listen_add(struct pbx_db *db, const char *channel);

/* Loop thread, at shutdown: run every queued job and its <done>, then
 * stop the threads. Blocks; only for shutdown.
 */
void pbx_db_free(struct pbx_db *db);

/* Connect synchronously. On failure returns EIO with libpq's message in
 * <err>. For start-up, CLI commands and pools; never on the loop.
 */
int pbx_db_connect(PGconn **connp, const char *conninfo,
		   char *err, size_t errsz);

/* Apply every migration in <sql_dir> (NNNN_name.sql) not yet recorded in
 * schema_migrations, each in its own transaction, under an advisory lock
 * so two nodes never migrate at once. <*appliedp> counts what ran.
 */
int pbx_db_migrate(PGconn *conn, const char *sql_dir, unsigned *appliedp,
		   char *err, size_t errsz);

/* A pool of at most <size> connections for blocking threads. */
int pbx_db_pool_alloc(struct pbx_db_pool **poolp, const char *conninfo,
		      unsigned size);

/* Borrow a connection (waits while all are lent). EIO if PostgreSQL is
 * unreachable (the reason is logged).
 */
int pbx_db_pool_get(struct pbx_db_pool *pool, PGconn **connp);

/* Give <conn> back; a connection whose status is bad is closed. */
void pbx_db_pool_put(struct pbx_db_pool *pool, PGconn *conn);

void pbx_db_pool_free(struct pbx_db_pool *pool);

/* True for the SQLSTATE of <res> equal to <state> ("23505" unique). */
bool pbx_db_sqlstate_is(const PGresult *res, const char *state);

#endif

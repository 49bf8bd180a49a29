/* pbx/db.h - PostgreSQL for modules: parameterised statements whose
 * results come back as rows of text. On the loop a statement runs on
 * one of the core's database workers and its result arrives back on the
 * loop, so the loop never waits; at start-up (module init) a statement
 * may also run blocking. REST handlers use pbx_rest_db_query()
 * (pbx/rest.h) instead, on their request's connection.
 *
 * Errors, the same for every function here: EIO PostgreSQL unreachable;
 * EEXIST unique violation; ENOENT foreign-key violation (the row it
 * refers to does not exist); EPROTO any other database error (logged
 * with PostgreSQL's message); ENOMEM; EINVAL bad arguments; ESHUTDOWN
 * the database is not running (before start-up, after shutdown).
 */
#ifndef PBX_DB_H
#define PBX_DB_H

struct pbx_db_res;

/* Loop thread: the statement finished. <err> is 0 with its rows in
 * <res> (borrowed for the callback), or an errno (<res> NULL), or
 * ECANCELED when pbxd stopped before it could run.
 */
typedef void (pbx_db_result_h)(int err, const struct pbx_db_res *res,
			       void *arg);

/* Queue <sql> with <n> text parameters <params> (NULL entries are SQL
 * NULL); <sql> and <params> are copied. Returns 0 once queued, and then
 * <done> always runs later on the loop, or an errno (<done> is not
 * called). Statements queued one after the other may run concurrently
 * on different workers: chain them from <done> when the order matters.
 * At shutdown the queue is run to the end before pbxd exits. Loop
 * thread only.
 */
int pbx_db_query(const char *sql, int n, const char *const *params,
		 pbx_db_result_h *done, void *arg);

/* Run <sql> and wait for it, on a connection of its own: for module
 * init at start-up, never on the running loop (it blocks). 0 with the
 * rows in <*resp> (free with pbx_db_res_free()), or an errno.
 */
int pbx_db_query_sync(struct pbx_db_res **resp, const char *sql, int n,
		      const char *const *params);

/* Rows and columns of <res>. */
unsigned pbx_db_res_rows(const struct pbx_db_res *res);
unsigned pbx_db_res_cols(const struct pbx_db_res *res);

/* Column <col> of row <row> as text ("t"/"f" for booleans), borrowed
 * from <res>; NULL for SQL NULL or outside the result.
 */
const char *pbx_db_res_value(const struct pbx_db_res *res, unsigned row,
			     unsigned col);

/* Rows an INSERT, UPDATE or DELETE touched (0 for other statements). */
unsigned long pbx_db_res_affected(const struct pbx_db_res *res);

/* Free a result from pbx_db_query_sync() or pbx_rest_db_query(); NULL
 * is fine. Never for the borrowed <res> of a pbx_db_result_h.
 */
void pbx_db_res_free(struct pbx_db_res *res);

/* ---- Watching changes (LISTEN/NOTIFY) ---- */

struct pbx_mod;

/* Loop thread: a NOTIFY on a watched channel; <payload> is borrowed, ""
 * when the notification had none.
 */
typedef void (pbx_db_note_h)(const char *payload, void *arg);

/* Loop thread: notifications may have been lost (the LISTEN connection
 * was lost and is back): reload whatever the cache holds.
 */
typedef void (pbx_db_reload_h)(void *arg);

/* Module init only: have <on_note> called for every NOTIFY on <channel>
 * (1 to 63 of a-z, 0-9 and '_', not starting with a digit; a trigger
 * of the module's table sends them), and <on_reload> (may be NULL) when
 * some may have been missed. Blocks until the LISTEN is in place, so a
 * cache loaded after this call misses no change. Dropped when the
 * module unloads or its init fails. 0, EINVAL, ENOMEM, EIO (no LISTEN
 * within 10 s), ESHUTDOWN.
 */
int pbx_db_watch(struct pbx_mod *mod, const char *channel,
		 pbx_db_note_h *on_note, pbx_db_reload_h *on_reload,
		 void *arg);

#endif

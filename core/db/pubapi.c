/* db/pubapi.c - <pbx/db.h>: modules' statements on the loop's worker
 * pool (db.c) and, at start-up, on a connection of their own. Results
 * are copied out of libpq into one block of text, so PGresult never
 * leaves core/db/ and a module frees rows with one call.
 */
#define PBX_LOG_TAG "db"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <pbx/db.h>
#include <pbx/log.h>

#include "db/db.h"
#include "db/db_int.h"
#include "db/pubapi.h"

struct pbx_db_res {
	unsigned rows;
	unsigned cols;
	unsigned long affected;
	const char **vals;        /* rows * cols, NULL for SQL NULL; they
				   * point into the same allocation */
};

/* One queued statement and, once run, its outcome. */
struct query {
	char *sql;                /* (ref) */
	int n;
	char **params;            /* (ref) n entries, NULL = SQL NULL */
	pbx_db_result_h *done;
	void *arg;
	struct pbx_db_res *res;   /* (ref) set by the worker on success */
};

/* The loop's worker pool; loop thread only, like everything queued. */
static struct pbx_db *api_db;

void pbx_db_api_start(struct pbx_db *db)
{
	api_db = db;
}

void pbx_db_api_stop(void)
{
	api_db = NULL;
}

int pbx_db_api_listen(const char *channel)
{
	return api_db ? pbx_db_listen_add(api_db, channel) : ESHUTDOWN;
}

/* ---- Results ---- */

struct pbx_db_res *pbx_db_res_from_pg(const PGresult *pg)
{
	struct pbx_db_res *res;
	size_t nvals, size, off;
	const char *affected;
	unsigned rows, cols;
	char *text;

	rows = (unsigned)PQntuples(pg);
	cols = (unsigned)PQnfields(pg);
	nvals = (size_t)rows * cols;

	/* One allocation: header, the pointer array, then every value
	 * with its terminator, so pbx_db_res_free() is a single free().
	 */
	size = sizeof(*res) + nvals * sizeof(*res->vals);
	for (unsigned r = 0; r < rows; r++) {
		for (unsigned c = 0; c < cols; c++) {
			if (!PQgetisnull(pg, (int)r, (int)c))
				size += (size_t)PQgetlength(pg, (int)r,
							    (int)c) + 1;
		}
	}
	res = malloc(size);
	if (!res)
		return NULL;
	res->rows = rows;
	res->cols = cols;
	affected = PQcmdTuples((PGresult *)pg);
	res->affected = affected ? strtoul(affected, NULL, 10) : 0;
	res->vals = (const char **)(res + 1);
	text = (char *)(res->vals + nvals);
	off = 0;
	for (unsigned r = 0; r < rows; r++) {
		for (unsigned c = 0; c < cols; c++) {
			size_t len;

			if (PQgetisnull(pg, (int)r, (int)c)) {
				res->vals[r * cols + c] = NULL;
				continue;
			}
			len = (size_t)PQgetlength(pg, (int)r, (int)c);
			memcpy(text + off, PQgetvalue(pg, (int)r, (int)c),
			       len);
			text[off + len] = '\0';
			res->vals[r * cols + c] = text + off;
			off += len + 1;
		}
	}
	return res;
}

unsigned pbx_db_res_rows(const struct pbx_db_res *res)
{
	return res ? res->rows : 0;
}

unsigned pbx_db_res_cols(const struct pbx_db_res *res)
{
	return res ? res->cols : 0;
}

const char *pbx_db_res_value(const struct pbx_db_res *res, unsigned row,
			     unsigned col)
{
	if (!res || row >= res->rows || col >= res->cols)
		return NULL;
	return res->vals[row * res->cols + col];
}

unsigned long pbx_db_res_affected(const struct pbx_db_res *res)
{
	return res ? res->affected : 0;
}

void pbx_db_res_free(struct pbx_db_res *res)
{
	free(res);
}

/* ---- Running a statement ---- */

/* Run <sql> on <conn> and turn the outcome into the errnos of
 * <pbx/db.h>; on success the rows are in <*resp>.
 */
static int exec(PGconn *conn, const char *sql, int n,
		const char *const *params, struct pbx_db_res **resp)
{
	ExecStatusType st;
	PGresult *pg;
	int err;

	pg = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	st = pg ? PQresultStatus(pg) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		*resp = pbx_db_res_from_pg(pg);
		err = *resp ? 0 : ENOMEM;
	} else if (PQstatus(conn) != CONNECTION_OK) {
		PBX_WARN("database connection lost: %s",
			 PQerrorMessage(conn));
		err = EIO;
	} else if (pbx_db_sqlstate_is(pg, "23505")) {
		err = EEXIST;
	} else if (pbx_db_sqlstate_is(pg, "23503")) {
		err = ENOENT;
	} else {
		/* A module's SQL that PostgreSQL refuses is a bug worth
		 * its full message; the statement helps find which.
		 */
		const char *msg = pg ? PQresultErrorMessage(pg)
				     : PQerrorMessage(conn);
		int len = (int)strcspn(msg, "\n");

		PBX_ERR("statement failed: %.*s; in: %.200s", len, msg, sql);
		err = EPROTO;
	}
	PQclear(pg);
	return err;
}

static void query_free(struct query *q)
{
	if (!q)
		return;
	for (int i = 0; q->params && i < q->n; i++)
		free(q->params[i]);
	free(q->params);
	free(q->sql);
	pbx_db_res_free(q->res);
	free(q);
}

/* Worker thread. */
static int query_run(PGconn *conn, void *arg)
{
	struct query *q = arg;

	return exec(conn, q->sql, q->n, (const char *const *)q->params,
		    &q->res);
}

/* Loop thread. */
static void query_done(int err, void *arg)
{
	struct query *q = arg;

	q->done(err, err ? NULL : q->res, q->arg);
	query_free(q);
}

int pbx_db_query(const char *sql, int n, const char *const *params,
		 pbx_db_result_h *done, void *arg)
{
	struct query *q;
	int err;

	if (!sql || n < 0 || (n && !params) || !done)
		return EINVAL;
	if (!api_db)
		return ESHUTDOWN;

	q = calloc(1, sizeof(*q));
	if (!q)
		return ENOMEM;
	q->done = done;
	q->arg = arg;
	q->n = n;
	q->sql = strdup(sql);
	q->params = n ? calloc((size_t)n, sizeof(*q->params)) : NULL;
	if (!q->sql || (n && !q->params)) {
		err = ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (params[i] && !(q->params[i] = strdup(params[i]))) {
			err = ENOMEM;
			goto out;
		}
	}
	err = pbx_db_submit(api_db, query_run, query_done, q);
 out:
	if (err)
		query_free(q);
	return err;
}

int pbx_db_query_sync(struct pbx_db_res **resp, const char *sql, int n,
		      const char *const *params)
{
	struct pbx_db_res *res = NULL;
	char msg[256];
	PGconn *conn;
	int err;

	if (!resp || !sql || n < 0 || (n && !params))
		return EINVAL;
	if (!api_db)
		return ESHUTDOWN;

	if (pbx_db_connect(&conn, pbx_db_conninfo(api_db), msg,
			   sizeof(msg))) {
		PBX_WARN("cannot connect to PostgreSQL: %s", msg);
		return EIO;
	}
	err = exec(conn, sql, n, params, &res);
	PQfinish(conn);
	if (!err)
		*resp = res;
	return err;
}

/* rest/query.c - SQL for REST handlers: one pooled connection per request
 * (taken on first use, given back when the request completes), results
 * turned into errnos once here, and column-to-JSON helpers.
 */
#define PBX_LOG_TAG "rest"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pbx/log.h>

#include "db/db.h"
#include "rest/req.h"

/* Dead pooled connections a request's first statement may step over. */
#define RETRY_MAX 16

/* One attempt. ECONNRESET when the connection turned out to be dead. */
static int query_once(struct pbx_rest_req *req, PGresult **resp,
		      const char *sql, int n, const char *const *values)
{
	ExecStatusType st;
	PGresult *res;
	int err;

	if (!req->pg) {
		err = pbx_db_pool_get(req->rest->pool, &req->pg);
		if (err) {
			req->pg = NULL;
			return err == ENOMEM ? ENOMEM : EIO;
		}
	}

	/* Text format both ways: every value we send or read is short and
	 * human-readable, and text keeps NULL handling trivial.
	 */
	res = PQexecParams(req->pg, sql, n, NULL, values, NULL, NULL, 0);
	st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		*resp = res;
		return 0;
	}

	if (PQstatus(req->pg) != CONNECTION_OK) {
		PBX_INFO("database connection lost: %s",
			 PQerrorMessage(req->pg));
		err = ECONNRESET;
	} else if (res && pbx_db_sqlstate_is(res, "23505")) {
		err = EEXIST;
	} else {
		PBX_ERR("%s %s: query failed: %s", req->method, req->path,
			res ? PQresultErrorMessage(res)
			    : PQerrorMessage(req->pg));
		err = EPROTO;
	}
	PQclear(res);
	return err;
}

int pbx_rest_query(struct pbx_rest_req *req, PGresult **resp,
		   const char *sql, int n, const char *const *values)
{
	bool first = !req->pg;
	int err, tries = 0;

	err = query_once(req, resp, sql, n, values);

	/* Pooled connections may have died while idle (PostgreSQL was
	 * restarted); the pool only notices on use, one connection at a
	 * time. So the request's first statement is retried while the
	 * connection it got turns out dead: each retry drops one, and once
	 * the pool must connect afresh, that works or fails with EIO. The
	 * cap only guards against a server that drops every new session.
	 * Only the first statement: it is always the token lookup or
	 * health's SELECT 1, safe to repeat, whereas a later INSERT might
	 * have run before its connection died.
	 */
	while (err == ECONNRESET && first && ++tries <= RETRY_MAX) {
		pbx_rest_query_release(req);
		err = query_once(req, resp, sql, n, values);
	}
	if (err == ECONNRESET) {
		PBX_WARN("%s %s: database unreachable", req->method,
			 req->path);
		err = EIO;
	}
	return err;
}

void pbx_rest_query_release(struct pbx_rest_req *req)
{
	if (!req->pg)
		return;
	pbx_db_pool_put(req->rest->pool, req->pg);
	req->pg = NULL;
}

json_t *pbx_rest_query_str(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return json_null();
	return pbx_rest_string_lossy(PQgetvalue(res, row, col));
}

json_t *pbx_rest_query_int(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return json_null();
	return json_integer(strtoll(PQgetvalue(res, row, col), NULL, 10));
}

json_t *pbx_rest_query_bool(const PGresult *res, int row, int col)
{
	const char *v = PQgetvalue(res, row, col);

	return json_boolean(v[0] == 't');
}

json_t *pbx_rest_query_real(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return json_null();
	return json_real(strtod(PQgetvalue(res, row, col), NULL));
}

json_t *pbx_rest_query_rows(const PGresult *res, pbx_rest_row_json_h *row)
{
	json_t *items = json_array();

	for (int i = 0; items && i < PQntuples(res); i++) {
		if (json_array_append_new(items, row(res, i))) {
			json_decref(items);
			items = NULL;
		}
	}
	return items;
}

int pbx_rest_query_page(struct pbx_rest_req *req, const char *count_sql,
			const char *page_sql, int n,
			const char *const *values, unsigned limit,
			unsigned offset, pbx_rest_row_json_h *row)
{
	const char *params[PBX_REST_PAGE_PARAMS_MAX + 2];
	char lim[16], off[16];
	PGresult *res;
	long long total;
	json_t *items;
	int err;

	if (n < 0 || n > PBX_REST_PAGE_PARAMS_MAX)
		return EINVAL;
	err = pbx_rest_query(req, &res, count_sql, n, values);
	if (err)
		return err;
	total = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);

	for (int i = 0; i < n; i++)
		params[i] = values[i];
	snprintf(lim, sizeof(lim), "%u", limit);
	snprintf(off, sizeof(off), "%u", offset);
	params[n] = lim;
	params[n + 1] = off;
	err = pbx_rest_query(req, &res, page_sql, n + 2, params);
	if (err)
		return err;
	items = pbx_rest_query_rows(res, row);
	PQclear(res);
	if (!items)
		return ENOMEM;
	return pbx_rest_reply(req, 200,
			      json_pack("{s:o, s:I, s:i, s:i}",
					"items", items,
					"total", (json_int_t)total,
					"limit", (int)limit,
					"offset", (int)offset));
}

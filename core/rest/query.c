/* rest/query.c - SQL for REST handlers: one pooled connection per request
 * (taken on first use, given back when the request completes), results
 * turned into errnos once here, and column-to-JSON helpers.
 */
#define PBX_LOG_TAG "rest"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pbx/log.h>

#include "db/db.h"
#include "rest/req.h"

int pbx_rest_query(struct pbx_rest_req *req, PGresult **resp,
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
		PBX_WARN("database connection lost: %s",
			 PQerrorMessage(req->pg));
		err = EIO;
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

void pbx_rest_query_release(struct pbx_rest_req *req)
{
	if (!req->pg)
		return;
	pbx_db_pool_put(req->rest->pool, req->pg);
	req->pg = NULL;
}

json_t *pbx_rest_query_str(const PGresult *res, int row, int col)
{
	const char *v;
	json_t *j;
	char *copy;
	size_t i;

	if (PQgetisnull(res, row, col))
		return json_null();
	v = PQgetvalue(res, row, col);
	j = json_string(v);
	if (j)
		return j;

	/* Not UTF-8: possible for text a phone sent (User-Agent) into a
	 * SQL_ASCII database. JSON must be UTF-8, so show the odd bytes
	 * as '?' rather than fail the whole listing.
	 */
	copy = strdup(v);
	if (!copy)
		return NULL;
	for (i = 0; copy[i]; i++) {
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	}
	j = json_string(copy);
	free(copy);
	return j;
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

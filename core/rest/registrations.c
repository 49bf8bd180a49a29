/* rest/registrations.c - /api/v1/registrations and a user's bindings.
 * Reads the registrations table, which the registrar writes through
 * from its in-memory location table; a DELETE here reaches the SIP loop
 * through the registrations_notify trigger, never through a call.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/req.h"
#include "rest/router.h"
#include "rest/validate.h"

/* A row expires in PostgreSQL before the registrar gets round to
 * deleting it; expired rows are not bindings any more, so every read
 * filters on expires_at.
 */
#define REG_COLS							\
	"id, extension, contact, q, "					\
	PBX_REST_SQL_TIME("expires_at") ", "				\
	"greatest(0, floor(extract(epoch FROM expires_at - now())))"	\
	"::bigint, host(source_ip), source_port, transport, path,"	\
	" user_agent, call_id, cseq, node, "				\
	PBX_REST_SQL_TIME("registered_at") ", "			\
	PBX_REST_SQL_TIME("updated_at")

static json_t *reg_json(const PGresult *res, int row)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o,"
			 " s:{s:o, s:o, s:o},"
			 " s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "id", pbx_rest_query_str(res, row, 0),
			 "extension", pbx_rest_query_str(res, row, 1),
			 "contact", pbx_rest_query_str(res, row, 2),
			 "q", pbx_rest_query_real(res, row, 3),
			 "expires_at", pbx_rest_query_str(res, row, 4),
			 "expires_in", pbx_rest_query_int(res, row, 5),
			 "source",
			 "address", pbx_rest_query_str(res, row, 6),
			 "port", pbx_rest_query_int(res, row, 7),
			 "transport", pbx_rest_query_str(res, row, 8),
			 "path", pbx_rest_query_str(res, row, 9),
			 "user_agent", pbx_rest_query_str(res, row, 10),
			 "call_id", pbx_rest_query_str(res, row, 11),
			 "cseq", pbx_rest_query_int(res, row, 12),
			 "node", pbx_rest_query_str(res, row, 13),
			 "registered_at", pbx_rest_query_str(res, row, 14),
			 "updated_at", pbx_rest_query_str(res, row, 15));
}

int pbx_rest_reg_list(struct pbx_rest_req *req)
{
	const char *ext = pbx_rest_req_arg(req, "extension");
	struct pbx_rest_verr verr;
	unsigned l, o;
	int err;

	err = pbx_rest_validate_page(pbx_rest_req_arg(req, "limit"),
				     pbx_rest_req_arg(req, "offset"),
				     &l, &o, &verr);
	if (err)
		return pbx_rest_error(req, 400, "invalid", verr.field,
				      "%s", verr.message);
	if (ext && !pbx_rest_validate_extension(ext))
		return pbx_rest_error(req, 400, "invalid", "extension",
				      "extension must be 2 to 10 digits, "
				      "not '%.32s'", ext);

	return pbx_rest_query_page(req,
		"SELECT count(*) FROM registrations"
		" WHERE expires_at > now()"
		" AND ($1::text IS NULL OR extension = $1)",
		"SELECT " REG_COLS " FROM registrations"
		" WHERE expires_at > now()"
		" AND ($1::text IS NULL OR extension = $1)"
		" ORDER BY extension, registered_at LIMIT $2 OFFSET $3",
		1, &ext, l, o, reg_json);
}

int pbx_rest_reg_of_user(struct pbx_rest_req *req)
{
	const char *ext = req->params[0];
	PGresult *res;
	json_t *items;
	bool known;
	int err;

	if (pbx_rest_validate_extension(ext)) {
		err = pbx_rest_query(req, &res, "SELECT 1 FROM users"
				     " WHERE extension = $1", 1, &ext);
		if (err)
			return err;
		known = PQntuples(res) > 0;
		PQclear(res);
	} else {
		known = false;
	}
	if (!known)
		return pbx_rest_error(req, 404, "not_found", NULL,
				      "no user with extension %s", ext);

	err = pbx_rest_query(req, &res, "SELECT " REG_COLS
			     " FROM registrations WHERE extension = $1"
			     " AND expires_at > now()"
			     " ORDER BY registered_at", 1, &ext);
	if (err)
		return err;
	items = pbx_rest_query_rows(res, reg_json);
	PQclear(res);

	return pbx_rest_reply(req, 200, json_pack("{s:o}", "items", items));
}

int pbx_rest_reg_delete(struct pbx_rest_req *req)
{
	const char *id = req->params[0];
	PGresult *res;
	bool gone = false;
	int err;

	/* A malformed id names no registration: 404 like an unknown one,
	 * and it never reaches the ::uuid cast, which would fail (500).
	 */
	if (pbx_rest_validate_uuid(id)) {
		err = pbx_rest_query(req, &res, "DELETE FROM registrations"
				     " WHERE id = $1::uuid", 1, &id);
		if (err)
			return err;
		gone = strcmp(PQcmdTuples(res), "0") != 0;
		PQclear(res);
	}
	if (!gone)
		return pbx_rest_error(req, 404, "not_found", NULL,
				      "no registration with id %s", id);
	return pbx_rest_reply(req, 204, NULL);
}

/* rest/cdrs.c - /api/v1/cdrs: call detail records, read only. Rows are
 * written by each node's CDR writer (db/cdr.c); here they are listed
 * newest first with filters, or read one by call_id.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/cdr.h"
#include "rest/req.h"
#include "rest/router.h"
#include "rest/validate.h"

/* Larger pages than other lists: CDRs are exported in bulk. */
#define CDR_LIMIT_MAX 1000

/* Longest caller or destination filter; a number or a SIP user part. */
#define CDR_FILTER_MAX 128

#define CDR_COLS							\
	"id, call_id, sip_call_id, node, caller_number, caller_name,"	\
	" destination, legs, "						\
	PBX_REST_SQL_TIME("start_time") ", "				\
	PBX_REST_SQL_TIME("answer_time") ", "				\
	PBX_REST_SQL_TIME("end_time") ", "				\
	"duration, billsec, disposition, hangup_cause, hangup_side"

/* $1 from, $2 to, $3 caller, $4 destination, $5 disposition; NULL
 * parameters do not filter. Unnamed statements are planned with the
 * values, so the NULL tests fold away and the indexes still serve.
 */
#define CDR_WHERE							\
	" WHERE ($1::timestamptz IS NULL OR start_time >= $1)"		\
	" AND ($2::timestamptz IS NULL OR start_time < $2)"		\
	" AND ($3::text IS NULL OR caller_number = $3)"			\
	" AND ($4::text IS NULL OR destination = $4)"			\
	" AND ($5::text IS NULL OR disposition = $5)"

#define NFILTERS 5

static json_t *legs_json(const PGresult *res, int row, int col)
{
	json_t *legs;

	if (PQgetisnull(res, row, col))
		return json_array();
	/* jsonb text from PostgreSQL; should it not parse, say null
	 * rather than fail the page.
	 */
	legs = json_loads(PQgetvalue(res, row, col), JSON_DECODE_ANY, NULL);
	return legs ? legs : json_null();
}

static json_t *cdr_json(const PGresult *res, int row)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
			 " s:o, s:o, s:o, s:o, s:o, s:o}",
			 "id", pbx_rest_query_int(res, row, 0),
			 "call_id", pbx_rest_query_str(res, row, 1),
			 "sip_call_id", pbx_rest_query_str(res, row, 2),
			 "node", pbx_rest_query_str(res, row, 3),
			 "caller_number", pbx_rest_query_str(res, row, 4),
			 "caller_name", pbx_rest_query_str(res, row, 5),
			 "destination", pbx_rest_query_str(res, row, 6),
			 "legs", legs_json(res, row, 7),
			 "start_time", pbx_rest_query_str(res, row, 8),
			 "answer_time", pbx_rest_query_str(res, row, 9),
			 "end_time", pbx_rest_query_str(res, row, 10),
			 "duration", pbx_rest_query_int(res, row, 11),
			 "billsec", pbx_rest_query_int(res, row, 12),
			 "disposition", pbx_rest_query_str(res, row, 13),
			 "hangup_cause", pbx_rest_query_int(res, row, 14),
			 "hangup_side", pbx_rest_query_str(res, row, 15));
}

static int invalid(struct pbx_rest_req *req, const char *field,
		   const char *msg, const char *value)
{
	return pbx_rest_error(req, 400, "invalid", field, "%s, not '%.40s'",
			      msg, value);
}

/* limit: 1..CDR_LIMIT_MAX, decimal digits only (validate_page stops
 * at the 500 of the other lists).
 */
static bool parse_limit(const char *s, unsigned *limitp)
{
	unsigned long v = 0;
	size_t i;

	if (!s) {
		*limitp = PBX_REST_LIMIT_DEFAULT;
		return true;
	}
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (!i || v < 1 || v > CDR_LIMIT_MAX)
		return false;
	*limitp = (unsigned)v;
	return true;
}

/* Query argument <name>, an RFC 3339 time, as the canonical UTC text
 * PostgreSQL parses exactly (NULL if absent). False if malformed.
 */
static bool parse_time(const struct pbx_rest_req *req, const char *name,
		       char buf[PBX_CDR_TIME_LEN], const char **outp)
{
	const char *s = pbx_rest_req_arg(req, name);
	int64_t us;

	*outp = NULL;
	if (!s)
		return true;
	if (pbx_cdr_time_parse(s, &us) ||
	    pbx_cdr_time_format(us, buf, PBX_CDR_TIME_LEN))
		return false;
	*outp = buf;
	return true;
}

/* A caller or destination filter: compared as text, so any UTF-8
 * without control characters, up to CDR_FILTER_MAX bytes.
 */
static bool filter_ok(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > CDR_FILTER_MAX || !pbx_cdr_utf8_is_valid(s, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	}
	return true;
}

/* The filters of a listing into <v>, checked. <*okp> false when one
 * is wrong and the 400 reply is made; returns what replying returned.
 */
static int list_args(struct pbx_rest_req *req, const char **v,
		     char from[PBX_CDR_TIME_LEN], char to[PBX_CDR_TIME_LEN],
		     bool *okp)
{
	static const char *const names[] = { "caller", "destination" };
	char msg[96];

	*okp = false;
	if (!parse_time(req, "from", from, &v[0]))
		return invalid(req, "from", "from must be an RFC 3339 time"
			       " such as 2024-05-01T00:00:00Z",
			       pbx_rest_req_arg(req, "from"));
	if (!parse_time(req, "to", to, &v[1]))
		return invalid(req, "to", "to must be an RFC 3339 time"
			       " such as 2024-05-01T00:00:00Z",
			       pbx_rest_req_arg(req, "to"));
	for (int i = 0; i < 2; i++) {
		v[2 + i] = pbx_rest_req_arg(req, names[i]);
		if (v[2 + i] && !filter_ok(v[2 + i])) {
			snprintf(msg, sizeof(msg), "%s must be 1 to %d bytes"
				 " of UTF-8 text", names[i], CDR_FILTER_MAX);
			return invalid(req, names[i], msg, v[2 + i]);
		}
	}
	v[4] = pbx_rest_req_arg(req, "disposition");
	if (v[4] && !pbx_cdr_disposition_is_valid(v[4]))
		return invalid(req, "disposition", "disposition must be one "
			       "of answered, busy, noanswer, unavailable, "
			       "failed, cancelled", v[4]);
	*okp = true;
	return 0;
}

int pbx_rest_cdrs_list(struct pbx_rest_req *req)
{
	const char *v[NFILTERS], *lim = pbx_rest_req_arg(req, "limit");
	char from[PBX_CDR_TIME_LEN], to[PBX_CDR_TIME_LEN];
	struct pbx_rest_verr verr;
	unsigned limit, offset, unused;
	bool ok;
	int err;

	if (!parse_limit(lim, &limit))
		return invalid(req, "limit", "limit must be an integer from 1"
			       " to 1000", lim);
	/* Only the offset: validate_page's limit is that of other lists. */
	err = pbx_rest_validate_page(NULL, pbx_rest_req_arg(req, "offset"),
				     &unused, &offset, &verr);
	if (err)
		return pbx_rest_error(req, 400, "invalid", verr.field, "%s",
				      verr.message);
	err = list_args(req, v, from, to, &ok);
	if (!ok)
		return err;
	/* id breaks ties, so pages neither repeat nor skip a row. */
	return pbx_rest_query_page(req, "SELECT count(*) FROM cdrs" CDR_WHERE,
				   "SELECT " CDR_COLS " FROM cdrs" CDR_WHERE
				   " ORDER BY start_time DESC, id DESC"
				   " LIMIT $6 OFFSET $7", NFILTERS, v, limit,
				   offset, cdr_json);
}

int pbx_rest_cdrs_get(struct pbx_rest_req *req)
{
	const char *id = req->params[0];
	PGresult *res = NULL;
	json_t *cdr = NULL;
	int err;

	/* A malformed id names no record: 404, and it never reaches the
	 * ::uuid cast, which would fail (500).
	 */
	if (pbx_rest_validate_uuid(id)) {
		err = pbx_rest_query(req, &res, "SELECT " CDR_COLS
				     " FROM cdrs WHERE call_id = $1::uuid",
				     1, &id);
		if (err)
			return err;
		if (PQntuples(res) > 0) {
			cdr = cdr_json(res, 0);
			if (!cdr) {
				PQclear(res);
				return ENOMEM;
			}
		}
		PQclear(res);
	}
	if (!cdr)
		return pbx_rest_error(req, 404, "not_found", NULL,
				      "no CDR with call_id %s", id);
	return pbx_rest_reply(req, 200, cdr);
}

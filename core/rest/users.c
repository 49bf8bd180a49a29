/* rest/users.c - /api/v1/users: list, create, read, change and delete
 * users. The SIP password exists only as the two HA1 hashes computed
 * here for sip.realm; no secret or hash ever appears in a reply. The
 * users_notify trigger tells every node's loop about each change.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/req.h"
#include "rest/router.h"
#include "rest/validate.h"
#include "util/digest.h"
#include "util/secret.h"

/* The columns of a user as replied, in user_json()'s order. */
#define USER_COLS							\
	"extension, display_name, email, enabled, auth_algorithms,"	\
	" max_contacts, voicemail_pin_hash IS NOT NULL, "		\
	PBX_REST_SQL_TIME("created_at") ", "				\
	PBX_REST_SQL_TIME("updated_at")

/* Everything a create or a change may need to send besides the body's
 * own strings: hashes and numbers as text.
 */
struct user_secrets {
	char ha1_md5[PBX_DIGEST_HEX_MAX];
	char ha1_sha256[PBX_DIGEST_HEX_MAX];
	char pin_hash[PBX_PIN_HASH_MAX];
	char max_contacts[16];
};

static json_t *user_json(const PGresult *res, int row)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "extension", pbx_rest_query_str(res, row, 0),
			 "display_name", pbx_rest_query_str(res, row, 1),
			 "email", pbx_rest_query_str(res, row, 2),
			 "enabled", pbx_rest_query_bool(res, row, 3),
			 "auth_algorithms", pbx_rest_query_str(res, row, 4),
			 "max_contacts", pbx_rest_query_int(res, row, 5),
			 "has_voicemail_pin",
			 pbx_rest_query_bool(res, row, 6),
			 "created_at", pbx_rest_query_str(res, row, 7),
			 "updated_at", pbx_rest_query_str(res, row, 8));
}

static int no_user(struct pbx_rest_req *req, const char *ext)
{
	return pbx_rest_error(req, 404, "not_found", NULL,
			      "no user with extension %s", ext);
}

/* "invalid" names a field; a fault of the body as a whole (no field to
 * change) is a "bad_request" like an empty or non-object body.
 */
static int invalid(struct pbx_rest_req *req,
		   const struct pbx_rest_verr *verr)
{
	bool whole = verr->field[0] == '\0';

	return pbx_rest_error(req, 400, whole ? "bad_request" : "invalid",
			      whole ? NULL : verr->field, "%s",
			      verr->message);
}

/* Hash what <in> carries in clear. HA1 = H(extension:realm:password)
 * for both algorithms, whatever auth_algorithms says today, so changing
 * the algorithms later needs no new password.
 */
static int make_secrets(const struct pbx_rest_user_in *in, const char *ext,
			const char *realm, struct user_secrets *s)
{
	int err = 0;

	if (in->password) {
		err = pbx_digest_ha1(PBX_DIGEST_MD5, ext, realm,
				     in->password, s->ha1_md5);
		if (!err)
			err = pbx_digest_ha1(PBX_DIGEST_SHA256, ext, realm,
					     in->password, s->ha1_sha256);
	}
	if (!err && in->pin)
		err = pbx_secret_pin_hash(in->pin, s->pin_hash,
					  sizeof(s->pin_hash));
	snprintf(s->max_contacts, sizeof(s->max_contacts), "%d",
		 in->max_contacts);
	return err ? (err == ENOMEM ? ENOMEM : EPROTO) : 0;
}

/* Reply with the user in <res> (taken, cleared here), or 404 for <ext>
 * when the statement found no row.
 */
static int reply_user_row(struct pbx_rest_req *req, PGresult *res,
			  const char *ext)
{
	int err;

	if (PQntuples(res) == 0) {
		PQclear(res);
		return no_user(req, ext);
	}
	err = pbx_rest_reply(req, 200, user_json(res, 0));
	PQclear(res);
	return err;
}

int pbx_rest_users_list(struct pbx_rest_req *req)
{
	struct pbx_rest_verr verr;
	unsigned l, o;
	int err;

	err = pbx_rest_validate_page(pbx_rest_req_arg(req, "limit"),
				     pbx_rest_req_arg(req, "offset"),
				     &l, &o, &verr);
	if (err)
		return invalid(req, &verr);

	return pbx_rest_query_page(req, "SELECT count(*) FROM users",
				   "SELECT " USER_COLS " FROM users"
				   " ORDER BY extension LIMIT $1 OFFSET $2",
				   0, NULL, l, o, user_json);
}

int pbx_rest_users_create(struct pbx_rest_req *req)
{
	static const char sql[] =
		"INSERT INTO users (extension, display_name, email, enabled,"
		" realm, ha1_md5, ha1_sha256, auth_algorithms, max_contacts,"
		" voicemail_pin_hash)"
		" VALUES ($1, coalesce($2, ''), $3,"
		" coalesce($4::boolean, true), $5, $6, $7, $8,"
		" $9::integer, $10)"
		" RETURNING " USER_COLS;
	struct pbx_rest_user_in in;
	struct pbx_rest_verr verr;
	struct user_secrets s;
	const char *p[10];
	PGresult *res;
	json_t *user;
	int err;

	err = pbx_rest_validate_user_create(req->body, &in, &verr);
	if (err)
		return invalid(req, &verr);
	err = make_secrets(&in, in.extension, req->rest->realm, &s);
	if (err)
		return err;

	p[0] = in.extension;
	p[1] = in.display_name;
	p[2] = in.email;
	p[3] = in.enabled_set ? (in.enabled ? "true" : "false") : NULL;
	p[4] = req->rest->realm;
	p[5] = s.ha1_md5;
	p[6] = s.ha1_sha256;
	p[7] = in.algs;
	p[8] = in.max_contacts ? s.max_contacts : NULL;
	p[9] = in.pin ? s.pin_hash : NULL;

	err = pbx_rest_query(req, &res, sql, 10, p);
	if (err == EEXIST)
		return pbx_rest_error(req, 409, "conflict", "extension",
				      "a user with extension %s already "
				      "exists", in.extension);
	if (err)
		return err;

	user = user_json(res, 0);
	PQclear(res);
	err = pbx_rest_header(req, "Location", "/api/v1/users/%s",
			      in.extension);
	if (err) {
		json_decref(user);
		return err;
	}
	return pbx_rest_reply(req, 201, user);
}

int pbx_rest_users_get(struct pbx_rest_req *req)
{
	const char *ext = req->params[0];
	PGresult *res;
	int err;

	if (!pbx_rest_validate_extension(ext))
		return no_user(req, ext);

	err = pbx_rest_query(req, &res, "SELECT " USER_COLS
			     " FROM users WHERE extension = $1", 1, &ext);
	if (err)
		return err;
	return reply_user_row(req, res, ext);
}

/* ---- PATCH ---- */

/* An UPDATE assembled from the fields present. Only column names from
 * this file go into the text; every value is a parameter.
 */
struct update {
	char sql[1024];
	size_t len;
	const char *p[12];
	int n;
};

static void set_col(struct update *u, const char *col, const char *cast,
		    const char *value)
{
	int w;

	u->p[u->n++] = value;
	w = snprintf(u->sql + u->len, sizeof(u->sql) - u->len,
		     "%s = $%d%s, ", col, u->n, cast);
	if (w > 0)
		u->len += (size_t)w;
}

int pbx_rest_users_patch(struct pbx_rest_req *req)
{
	const char *ext = req->params[0];
	struct pbx_rest_user_in in;
	struct pbx_rest_verr verr;
	struct user_secrets s;
	struct update u;
	PGresult *res;
	int err, w;

	if (!pbx_rest_validate_extension(ext))
		return no_user(req, ext);
	err = pbx_rest_validate_user_patch(req->body, ext, &in, &verr);
	if (err)
		return invalid(req, &verr);
	err = make_secrets(&in, ext, req->rest->realm, &s);
	if (err)
		return err;

	memset(&u, 0, sizeof(u));
	u.len = (size_t)snprintf(u.sql, sizeof(u.sql), "UPDATE users SET ");
	if (in.display_name)
		set_col(&u, "display_name", "", in.display_name);
	if (in.email_set)
		set_col(&u, "email", "", in.email);
	if (in.enabled_set)
		set_col(&u, "enabled", "::boolean",
			in.enabled ? "true" : "false");
	if (in.algs_set)
		set_col(&u, "auth_algorithms", "", in.algs);
	if (in.max_contacts_set)
		set_col(&u, "max_contacts", "::integer",
			in.max_contacts ? s.max_contacts : NULL);
	if (in.pin_set)
		set_col(&u, "voicemail_pin_hash", "",
			in.pin ? s.pin_hash : NULL);
	if (in.password) {
		/* The realm goes with the hashes: they are only valid
		 * for the realm they were computed with.
		 */
		set_col(&u, "realm", "", req->rest->realm);
		set_col(&u, "ha1_md5", "", s.ha1_md5);
		set_col(&u, "ha1_sha256", "", s.ha1_sha256);
	}
	u.p[u.n++] = ext;
	w = snprintf(u.sql + u.len, sizeof(u.sql) - u.len,
		     "updated_at = now() WHERE extension = $%d RETURNING "
		     USER_COLS, u.n);
	if (w < 0 || (size_t)w >= sizeof(u.sql) - u.len)
		return EPROTO;

	err = pbx_rest_query(req, &res, u.sql, u.n, u.p);
	if (err)
		return err;
	return reply_user_row(req, res, ext);
}

int pbx_rest_users_delete(struct pbx_rest_req *req)
{
	const char *ext = req->params[0];
	PGresult *res;
	bool gone;
	int err;

	if (!pbx_rest_validate_extension(ext))
		return no_user(req, ext);

	err = pbx_rest_query(req, &res, "DELETE FROM users"
			     " WHERE extension = $1", 1, &ext);
	if (err)
		return err;
	gone = strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);

	return gone ? pbx_rest_reply(req, 204, NULL) : no_user(req, ext);
}

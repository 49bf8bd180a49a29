/* rest/auth.c - bearer tokens (RFC 6750). Only SHA-256 hashes of tokens
 * are stored (util/secret.c), so a leaked table grants nothing; tokens
 * are random, so the hash needs no salt and can be looked up directly.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "rest/auth.h"
#include "util/secret.h"

/* Longer than any token we issue: not worth a round trip. */
#define TOKEN_LEN_MAX 256

/* last_used_at is for administrators spotting unused tokens; minute
 * precision is plenty, and writing it on every request would turn each
 * read into a write (and lock the row under load). The CTE updates it
 * only when it is a minute stale, in the same round trip as the lookup.
 */
static const char sql_lookup[] =
	"WITH t AS (SELECT id, last_used_at FROM api_tokens"
	" WHERE token_hash = $1),"
	" u AS (UPDATE api_tokens SET last_used_at = now()"
	" WHERE id IN (SELECT id FROM t WHERE last_used_at IS NULL"
	" OR last_used_at < now() - interval '1 minute'))"
	" SELECT id FROM t";

static int unauthorized(struct pbx_rest_req *req, bool invalid,
			const char *message)
{
	int err;

	err = pbx_rest_error(req, 401, "unauthorized", NULL, "%s", message);
	if (!err)
		err = pbx_rest_header(req, "WWW-Authenticate",
				      invalid ? "Bearer realm=\"pbxd\", "
				      "error=\"invalid_token\""
				      : "Bearer realm=\"pbxd\"");
	return err ? err : EACCES;
}

/* The token of an "Authorization: Bearer <token>" header, or NULL. The
 * scheme is case-insensitive (RFC 7235 2.1).
 */
static const char *bearer_token(const char *hdr)
{
	if (!hdr || strncasecmp(hdr, "Bearer", 6) ||
	    (hdr[6] != ' ' && hdr[6] != '\t'))
		return NULL;
	hdr += 6;
	while (*hdr == ' ' || *hdr == '\t')
		hdr++;
	return *hdr ? hdr : NULL;
}

int pbx_rest_auth_check(struct pbx_rest_req *req)
{
	char hash[PBX_TOKEN_HASH_MAX];
	const char *token, *params[1];
	PGresult *res;
	size_t len;
	int err, rows;

	token = bearer_token(pbx_rest_req_header(req, "Authorization"));
	if (!token)
		return unauthorized(req, false, "missing bearer token");

	len = strcspn(token, " \t");
	if (len > TOKEN_LEN_MAX || token[len])
		return unauthorized(req, true, "invalid token");

	err = pbx_secret_token_hash(token, hash);
	if (err)
		return err;

	params[0] = hash;
	err = pbx_rest_query(req, &res, sql_lookup, 1, params);
	if (err)
		return err;
	rows = PQntuples(res);
	PQclear(res);

	return rows ? 0 : unauthorized(req, true, "invalid token");
}

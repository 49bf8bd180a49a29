/* rest/token_cmd.c - "pbxd token create|list|revoke": API tokens from the
 * command line, straight against PostgreSQL (no running pbxd needed).
 * A new token is printed once, alone on stdout, so scripts can capture
 * it; only its hash is stored. Diagnostics go to stderr.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "rest/rest.h"
#include "rest/validate.h"
#include "util/secret.h"

#define EXIT_OK    0
#define EXIT_FAIL  1
#define EXIT_USAGE 2

static int usage(void)
{
	fprintf(stderr,
		"usage: pbxd [-c FILE] token create NAME\n"
		"       pbxd [-c FILE] token list\n"
		"       pbxd [-c FILE] token revoke NAME\n"
		"NAME: 1 to 64 of A-Z a-z 0-9 . _ -\n");
	return EXIT_USAGE;
}

static int failed(PGresult *res, const char *what)
{
	fprintf(stderr, "pbxd: %s: %s", what, PQresultErrorMessage(res));
	PQclear(res);
	return EXIT_FAIL;
}

static int token_create(PGconn *conn, const char *name)
{
	char token[PBX_TOKEN_MAX], hash[PBX_TOKEN_HASH_MAX];
	const char *params[2];
	PGresult *res;
	int err;

	err = pbx_secret_token_new(token, sizeof(token));
	if (!err)
		err = pbx_secret_token_hash(token, hash);
	if (err) {
		fprintf(stderr, "pbxd: cannot make a token: %s\n",
			strerror(err));
		return EXIT_FAIL;
	}

	params[0] = name;
	params[1] = hash;
	res = PQexecParams(conn, "INSERT INTO api_tokens (name, token_hash)"
			   " VALUES ($1, $2)", 2, NULL, params, NULL, NULL,
			   0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		if (pbx_db_sqlstate_is(res, "23505")) {
			fprintf(stderr, "pbxd: a token named '%s' already "
				"exists; revoke it first or pick another "
				"name\n", name);
			PQclear(res);
			return EXIT_FAIL;
		}
		return failed(res, "cannot store the token");
	}
	PQclear(res);

	printf("%s\n", token);
	fprintf(stderr, "pbxd: token '%s' created; it is shown only once\n",
		name);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

static int token_list(PGconn *conn)
{
	PGresult *res;
	int i, width = 4;

	res = PQexecParams(conn, "SELECT name,"
			   " to_char(created_at AT TIME ZONE 'UTC',"
			   " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
			   " coalesce(to_char(last_used_at AT TIME ZONE 'UTC',"
			   " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'never')"
			   " FROM api_tokens ORDER BY name",
			   0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return failed(res, "cannot list tokens");

	for (i = 0; i < PQntuples(res); i++) {
		int len = (int)strlen(PQgetvalue(res, i, 0));

		if (len > width)
			width = len;
	}
	printf("%-*s  %-20s  %s\n", width, "NAME", "CREATED", "LAST USED");
	for (i = 0; i < PQntuples(res); i++)
		printf("%-*s  %-20s  %s\n", width, PQgetvalue(res, i, 0),
		       PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
	PQclear(res);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

static int token_revoke(PGconn *conn, const char *name)
{
	const char *params[1] = {name};
	PGresult *res;
	bool gone;

	res = PQexecParams(conn, "DELETE FROM api_tokens WHERE name = $1",
			   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return failed(res, "cannot revoke the token");
	gone = strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);

	if (!gone) {
		fprintf(stderr, "pbxd: no token named '%s'\n", name);
		return EXIT_FAIL;
	}
	fprintf(stderr, "pbxd: token '%s' revoked\n", name);
	return EXIT_OK;
}

int pbx_rest_token_cmd(const struct pbx_cfg *cfg, int argc, char **argv)
{
	struct pbx_rest_verr verr;
	const char *cmd, *name = NULL;
	char err[512];
	PGconn *conn;
	int ret;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	if (!strcmp(cmd, "create") || !strcmp(cmd, "revoke")) {
		if (argc != 3)
			return usage();
		name = argv[2];
		if (pbx_rest_validate_token_name(name, &verr)) {
			fprintf(stderr, "pbxd: token %s: %s\n", cmd,
				verr.message);
			return EXIT_USAGE;
		}
	} else if (strcmp(cmd, "list") || argc != 2) {
		return usage();
	}

	if (pbx_db_connect(&conn, cfg->db_conninfo, err, sizeof(err))) {
		fprintf(stderr, "pbxd: cannot connect to PostgreSQL: %s\n",
			err);
		return EXIT_FAIL;
	}

	if (!strcmp(cmd, "create"))
		ret = token_create(conn, name);
	else if (!strcmp(cmd, "revoke"))
		ret = token_revoke(conn, name);
	else
		ret = token_list(conn);

	PQfinish(conn);
	return ret;
}

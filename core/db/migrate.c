/* db/migrate.c - numbered schema migrations (sql/NNNN_name.sql). Each
 * missing one runs in its own transaction and is recorded in
 * schema_migrations, so an existing database upgrades in place.
 */
#define PBX_LOG_TAG "db"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pbx/log.h>

#include "db/db.h"

/* Any fixed number: two nodes starting together serialise on it. */
#define MIGRATE_LOCK_KEY "7243905411"

static int exec_ok(PGconn *conn, const char *sql, char *err, size_t errsz,
		   const char *what)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int e = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		snprintf(err, errsz, "%s: %s", what,
			 PQresultErrorMessage(res));
		e = EIO;
	}
	PQclear(res);
	return e;
}

static int is_migration(const char *name)
{
	size_t len = strlen(name);

	for (int i = 0; i < 4; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
	}
	return name[4] == '_' && len > 9 && !strcmp(name + len - 4, ".sql");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_migrations(const char *dir, char ***namesp, size_t *np,
			   char *err, size_t errsz)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	if (!d) {
		snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		return errno;
	}
	while ((de = readdir(d))) {
		char **grown;

		if (!is_migration(de->d_name))
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown || !(grown[n] = strdup(de->d_name))) {
			names = grown ? grown : names;
			for (size_t i = 0; i < n; i++)
				free(names[i]);
			free(names);
			closedir(d);
			snprintf(err, errsz, "out of memory");
			return ENOMEM;
		}
		names = grown;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	*namesp = names;
	*np = n;
	return 0;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(len + 1))) {
		if (fread(buf, 1, len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		} else {
			buf[len] = '\0';
		}
	}
	fclose(f);
	return buf;
}

static bool is_applied(PGconn *conn, const char *name)
{
	char version[5];
	const char *params[1] = { version };
	PGresult *res;
	bool applied;

	/* The version is the file's four leading digits. */
	memcpy(version, name, 4);
	version[4] = '\0';
	res = PQexecParams(conn,
		"SELECT 1 FROM schema_migrations WHERE version = $1::int",
		1, NULL, params, NULL, NULL, 0);
	applied = PQresultStatus(res) == PGRES_TUPLES_OK &&
		  PQntuples(res) > 0;

	PQclear(res);
	return applied;
}

static int apply_one(PGconn *conn, const char *dir, const char *name,
		     char *err, size_t errsz)
{
	char path[4096], version[5];
	const char *params[2] = { version, name };
	char *sql;
	PGresult *res;
	int e;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sql = read_file(path);
	if (!sql) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return EIO;
	}
	memcpy(version, name, 4);
	version[4] = '\0';

	e = exec_ok(conn, "BEGIN", err, errsz, name);
	if (!e)
		e = exec_ok(conn, sql, err, errsz, name);
	if (!e) {
		res = PQexecParams(conn,
			"INSERT INTO schema_migrations (version, name) "
			"VALUES ($1::int, $2)", 2, NULL, params, NULL,
			NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			snprintf(err, errsz, "%s: %s", name,
				 PQresultErrorMessage(res));
			e = EIO;
		}
		PQclear(res);
	}
	if (!e)
		e = exec_ok(conn, "COMMIT", err, errsz, name);
	if (e)
		PQclear(PQexec(conn, "ROLLBACK"));
	free(sql);
	return e;
}

int pbx_db_migrate(PGconn *conn, const char *sql_dir, unsigned *appliedp,
		   char *err, size_t errsz)
{
	char **names = NULL;
	size_t n = 0;
	unsigned applied = 0;
	int e;

	if (!conn || !sql_dir)
		return EINVAL;
	e = list_migrations(sql_dir, &names, &n, err, errsz);
	if (e)
		return e;
	if (!n) {
		snprintf(err, errsz, "%s: no migrations (NNNN_name.sql)",
			 sql_dir);
		e = ENOENT;
		goto out;
	}
	/* "already exists, skipping" notices are not news. */
	PQclear(PQexec(conn, "SET client_min_messages = warning"));
	e = exec_ok(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")",
		    err, errsz, "lock");
	if (e)
		goto out;
	e = exec_ok(conn,
		    "CREATE TABLE IF NOT EXISTS schema_migrations ("
		    " version integer PRIMARY KEY,"
		    " name text NOT NULL,"
		    " applied_at timestamptz NOT NULL DEFAULT now())",
		    err, errsz, "schema_migrations");
	for (size_t i = 0; !e && i < n; i++) {
		if (is_applied(conn, names[i]))
			continue;
		e = apply_one(conn, sql_dir, names[i], err, errsz);
		if (!e) {
			PBX_NOTICE("applied migration %s", names[i]);
			applied++;
		}
	}
	PQclear(PQexec(conn,
		       "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
 out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (appliedp)
		*appliedp = applied;
	return e;
}

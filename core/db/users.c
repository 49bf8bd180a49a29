/* db/users.c - user cache for the registrar (see users.h). */
#define PBX_LOG_TAG "users"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pbx/cfg.h>
#include <pbx/log.h>

#include "db/db.h"
#include "db/users.h"
#include "util/strmap.h"

/* How long "no such user" is believed without a NOTIFY saying
 * otherwise: bounds database look-ups by scanners guessing extensions.
 */
#define NEGATIVE_TTL 10

struct pbx_users {
	struct pbx_db *db;        /* (borrowed) */
	struct pbx_strmap *map;   /* ext -> struct pbx_user (owned) */
	unsigned gen;             /* bumped by every invalidation */
	pbx_users_gone_h *gone;
	void *gone_arg;
};

#define USER_COLUMNS \
	"extension, enabled, realm, ha1_md5, ha1_sha256, " \
	"coalesce(auth_algorithms, ''), coalesce(max_contacts, 0)"

static void user_free(void *p)
{
	struct pbx_user *u = p;

	if (!u)
		return;
	free(u->ext);
	free(u->realm);
	free(u);
}

static int parse_algs(const char *s)
{
	if (!strcmp(s, "MD5"))
		return PBX_AUTH_MD5;
	if (!strcmp(s, "SHA-256"))
		return PBX_AUTH_SHA256;
	if (!strcmp(s, "SHA-256,MD5"))
		return PBX_AUTH_SHA256_MD5;
	if (!strcmp(s, "MD5,SHA-256"))
		return PBX_AUTH_MD5_SHA256;
	return -1;
}

/* Build a user from row <i> of a USER_COLUMNS result. */
static struct pbx_user *user_from_row(const PGresult *res, int i)
{
	struct pbx_user *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->ext = strdup(PQgetvalue(res, i, 0));
	u->realm = strdup(PQgetvalue(res, i, 2));
	if (!u->ext || !u->realm) {
		user_free(u);
		return NULL;
	}
	u->known = true;
	u->enabled = PQgetvalue(res, i, 1)[0] == 't';
	snprintf(u->ha1_md5, sizeof(u->ha1_md5), "%s", PQgetvalue(res, i, 3));
	snprintf(u->ha1_sha256, sizeof(u->ha1_sha256), "%s",
		 PQgetvalue(res, i, 4));
	u->auth_algorithms = parse_algs(PQgetvalue(res, i, 5));
	u->max_contacts = (unsigned)strtoul(PQgetvalue(res, i, 6), NULL, 10);
	return u;
}

static struct pbx_user *negative(const char *ext, time_t now)
{
	struct pbx_user *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->ext = strdup(ext);
	if (!u->ext) {
		free(u);
		return NULL;
	}
	u->neg_until = now + NEGATIVE_TTL;
	return u;
}

int pbx_users_alloc(struct pbx_users **usp, struct pbx_db *db,
		    pbx_users_gone_h *gh, void *arg)
{
	struct pbx_users *us;
	int err;

	if (!usp || !db)
		return EINVAL;
	us = calloc(1, sizeof(*us));
	if (!us)
		return ENOMEM;
	err = pbx_strmap_alloc(&us->map, user_free);
	if (err) {
		free(us);
		return err;
	}
	us->db = db;
	us->gone = gh;
	us->gone_arg = arg;
	*usp = us;
	return 0;
}

void pbx_users_free(struct pbx_users *us)
{
	if (!us)
		return;
	pbx_strmap_free(us->map);
	free(us);
}

static int load_into(struct pbx_strmap *map, PGconn *conn,
		     char *err, size_t errsz)
{
	PGresult *res = PQexec(conn, "SELECT " USER_COLUMNS " FROM users");
	int e = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errsz, "loading users: %s",
			 PQresultErrorMessage(res));
		PQclear(res);
		return EIO;
	}
	for (int i = 0; !e && i < PQntuples(res); i++) {
		struct pbx_user *u = user_from_row(res, i);

		e = u ? pbx_strmap_put(map, u->ext, u, NULL) : ENOMEM;
		if (e)
			user_free(u);
	}
	if (e)
		snprintf(err, errsz, "loading users: out of memory");
	PQclear(res);
	return e;
}

int pbx_users_load(struct pbx_users *us, PGconn *conn,
		   char *err, size_t errsz)
{
	return load_into(us->map, conn, err, errsz);
}

const struct pbx_user *pbx_users_find(struct pbx_users *us,
				      const char *ext, time_t now)
{
	struct pbx_user *u = pbx_strmap_get(us->map, ext);

	if (u && !u->known && u->neg_until <= now) {
		user_free(pbx_strmap_del(us->map, ext));
		return NULL;
	}
	return u;
}

/* ---- Fetching one user ---- */

struct fetch {
	struct pbx_users *us;
	char *ext;
	unsigned gen;             /* us->gen when the fetch started */
	struct pbx_user *user;    /* (owned) result, NULL if none */
	bool found;
	pbx_users_h *h;
	void *arg;
};

static int fetch_run(PGconn *conn, void *arg)
{
	struct fetch *f = arg;
	const char *params[1] = { f->ext };
	PGresult *res = PQexecParams(conn,
		"SELECT " USER_COLUMNS " FROM users WHERE extension = $1",
		1, NULL, params, NULL, NULL, 0);
	int err = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PBX_WARN("looking up user %s: %s", f->ext,
			 PQresultErrorMessage(res));
		err = EIO;
	} else if (PQntuples(res) == 1) {
		f->user = user_from_row(res, 0);
		f->found = true;
		err = f->user ? 0 : ENOMEM;
	}
	PQclear(res);
	return err;
}

static void fetch_done(int err, void *arg)
{
	struct fetch *f = arg;
	struct pbx_users *us = f->us;
	struct pbx_user *u = f->user;

	if (!err && !u)
		u = negative(f->ext, time(NULL));
	if (err || !u) {
		f->h(NULL, err ? err : ENOMEM, f->arg);
		user_free(u);
		goto out;
	}
	f->h(u, 0, f->arg);
	/* An invalidation that arrived meanwhile may make this row stale:
	 * it answered this request, but it is not cached.
	 */
	if (f->gen != us->gen || pbx_strmap_put(us->map, u->ext, u, NULL))
		user_free(u);
 out:
	free(f->ext);
	free(f);
}

int pbx_users_fetch(struct pbx_users *us, const char *ext,
		    pbx_users_h *h, void *arg)
{
	struct fetch *f;
	int err;

	if (!us || !ext || !h)
		return EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return ENOMEM;
	f->ext = strdup(ext);
	if (!f->ext) {
		free(f);
		return ENOMEM;
	}
	f->us = us;
	f->gen = us->gen;
	f->h = h;
	f->arg = arg;
	err = pbx_db_submit(us->db, fetch_run, fetch_done, f);
	if (err) {
		free(f->ext);
		free(f);
	}
	return err;
}

/* ---- Invalidation ---- */

/* After an UPDATE, learn at once whether the user was disabled, so its
 * bindings go now rather than at their next REGISTER.
 */
static void refetch_done(const struct pbx_user *user, int err, void *arg)
{
	struct pbx_users *us = arg;

	if (user && (!user->known || !user->enabled) && us->gone)
		us->gone(user->ext, us->gone_arg);
}

void pbx_users_notify(struct pbx_users *us, const char *payload)
{
	char op[8];
	const char *ext;

	if (!payload || sscanf(payload, "%7s", op) != 1 ||
	    !(ext = strchr(payload, ' ')) || !*++ext) {
		PBX_WARN("ignoring malformed pbx_users notification '%s'",
			 payload ? payload : "");
		return;
	}
	us->gen++;
	user_free(pbx_strmap_del(us->map, ext));
	PBX_DEBUG("user %s changed (%s)", ext, op);

	if (!strcmp(op, "DELETE")) {
		if (us->gone)
			us->gone(ext, us->gone_arg);
	} else if (!strcmp(op, "UPDATE")) {
		if (pbx_users_fetch(us, ext, refetch_done, us))
			PBX_WARN("cannot re-read user %s", ext);
	}
}

struct reload {
	struct pbx_users *us;
	struct pbx_strmap *map;
};

static int reload_run(PGconn *conn, void *arg)
{
	struct reload *r = arg;
	char err[256];

	if (load_into(r->map, conn, err, sizeof(err))) {
		PBX_WARN("%s", err);
		return EIO;
	}
	return 0;
}

static void reload_done(int err, void *arg)
{
	struct reload *r = arg;

	if (!err) {
		pbx_strmap_free(r->us->map);
		r->us->map = r->map;
		r->us->gen++;
		PBX_INFO("reloaded %zu users", pbx_strmap_count(r->map));
	} else {
		/* Keep serving from what we have, minus what may be stale. */
		pbx_strmap_free(r->map);
	}
	free(r);
}

void pbx_users_resync(struct pbx_users *us)
{
	struct reload *r = calloc(1, sizeof(*r));

	/* The strmap is filled on a worker, then handed to the loop; it
	 * is only ever touched by one thread at a time.
	 */
	if (!r || pbx_strmap_alloc(&r->map, user_free)) {
		free(r);
		return;
	}
	r->us = us;
	us->gen++;
	if (pbx_db_submit(us->db, reload_run, reload_done, r)) {
		pbx_strmap_free(r->map);
		free(r);
	}
}

size_t pbx_users_count(const struct pbx_users *us)
{
	return pbx_strmap_count(us->map);
}

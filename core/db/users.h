/* db/users.h - the loop's cache of users (digest HA1s, enabled flag,
 * per-user auth settings). PostgreSQL is the record: entries are
 * loaded at start-up, fetched on a miss, and dropped when a NOTIFY says
 * the user changed. Loop thread only.
 */
#ifndef PBX_DB_USERS_H
#define PBX_DB_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <libpq-fe.h>

struct pbx_db;
struct pbx_users;

struct pbx_user {
	char *ext;
	bool known;               /* false: cached "no such user" */
	bool enabled;
	char *realm;              /* realm the HA1s were made for */
	char ha1_md5[33];
	char ha1_sha256[65];
	int auth_algorithms;      /* enum pbx_cfg_auth_algs, -1: global */
	unsigned max_contacts;    /* 0: global registrar.max_contacts */
	time_t neg_until;         /* negative entries expire */
};

/* <user> is NULL with <err> EIO when PostgreSQL could not answer; a
 * user that does not exist comes as an entry with known == false.
 */
typedef void (pbx_users_h)(const struct pbx_user *user, int err,
			   void *arg);

/* A user was deleted or disabled: its bindings must go. */
typedef void (pbx_users_gone_h)(const char *ext, void *arg);

int pbx_users_alloc(struct pbx_users **usp, struct pbx_db *db,
		    pbx_users_gone_h *gh, void *arg);
void pbx_users_free(struct pbx_users *us);

/* Start-up: load every user on <conn> (blocking, before the loop runs). */
int pbx_users_load(struct pbx_users *us, PGconn *conn,
		   char *err, size_t errsz);

/* The cached entry for <ext> (known or negative), or NULL if not cached.
 * Borrowed until the loop next runs a database completion.
 */
const struct pbx_user *pbx_users_find(struct pbx_users *us,
				      const char *ext, time_t now);

/* Look <ext> up in PostgreSQL and cache it; <h> runs on the loop. */
int pbx_users_fetch(struct pbx_users *us, const char *ext,
		    pbx_users_h *h, void *arg);

/* A NOTIFY on pbx_users: "<INSERT|UPDATE|DELETE> <extension>". */
void pbx_users_notify(struct pbx_users *us, const char *payload);

/* The LISTEN connection came back: reload everything. */
void pbx_users_resync(struct pbx_users *us);

size_t pbx_users_count(const struct pbx_users *us);

#endif

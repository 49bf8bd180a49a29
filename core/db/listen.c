/* db/listen.c - one thread holding a LISTEN connection. Notifications go
 * to the loop as messages; after a lost connection it reconnects and
 * tells the loop to resync, since notifications may have been missed.
 */
#define PBX_LOG_TAG "db"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pbx/log.h>

#include "db/db.h"
#include "db/db_int.h"

struct pbx_db_listener {
	struct pbx_db *db;        /* (borrowed) */
	char **channels;          /* NULL-terminated */
	pbx_db_notify_h *nh;
	pbx_db_resync_h *rh;
	void *arg;
	PGconn *conn;
	pthread_t thread;
	atomic_bool stop;
};

struct note {
	struct pbx_db_listener *l;
	char *channel;
	char *payload;
};

static void note_done(int err, void *arg)
{
	struct note *n = arg;

	if (n->channel)
		n->l->nh(n->channel, n->payload, n->l->arg);
	else if (n->l->rh)
		n->l->rh(n->l->arg);
	free(n->channel);
	free(n->payload);
	free(n);
}

static void post_note(struct pbx_db_listener *l, const char *channel,
		      const char *payload)
{
	struct note *n = calloc(1, sizeof(*n));

	if (!n)
		return;
	n->l = l;
	if (channel) {
		n->channel = strdup(channel);
		n->payload = strdup(payload ? payload : "");
	}
	if ((channel && (!n->channel || !n->payload)) ||
	    pbx_db_post(l->db, note_done, n, 0)) {
		free(n->channel);
		free(n->payload);
		free(n);
	}
}

/* Connect and LISTEN on every channel. */
static int subscribe(struct pbx_db_listener *l, char *err, size_t errsz)
{
	PGconn *conn;

	if (pbx_db_connect(&conn, pbx_db_conninfo(l->db), err, errsz))
		return EIO;
	for (char **c = l->channels; *c; c++) {
		char *ident = PQescapeIdentifier(conn, *c, strlen(*c));
		char sql[160];
		PGresult *res;
		int ok;

		if (!ident) {
			PQfinish(conn);
			return ENOMEM;
		}
		snprintf(sql, sizeof(sql), "LISTEN %s", ident);
		PQfreemem(ident);
		res = PQexec(conn, sql);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok)
			snprintf(err, errsz, "LISTEN %s: %s", *c,
				 PQresultErrorMessage(res));
		PQclear(res);
		if (!ok) {
			PQfinish(conn);
			return EIO;
		}
	}
	l->conn = conn;
	return 0;
}

static void *listen_main(void *arg)
{
	struct pbx_db_listener *l = arg;
	char err[256];

	while (!atomic_load(&l->stop)) {
		struct pollfd pfd;
		PGnotify *n;

		if (!l->conn) {
			if (subscribe(l, err, sizeof(err))) {
				PBX_WARN("LISTEN connection: %s; retrying",
					 err);
				sleep(1);
				continue;
			}
			PBX_NOTICE("LISTEN connection restored; "
				   "refreshing caches");
			post_note(l, NULL, NULL);
		}
		/* Wake up now and then to notice a stop request. */
		pfd.fd = PQsocket(l->conn);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 200) < 0 && errno != EINTR)
			break;
		if (!PQconsumeInput(l->conn) ||
		    PQstatus(l->conn) != CONNECTION_OK) {
			PBX_WARN("LISTEN connection lost: %s",
				 PQerrorMessage(l->conn));
			PQfinish(l->conn);
			l->conn = NULL;
			continue;
		}
		while ((n = PQnotifies(l->conn))) {
			post_note(l, n->relname, n->extra);
			PQfreemem(n);
		}
	}
	PQfinish(l->conn);
	l->conn = NULL;
	return NULL;
}

int pbx_db_listen(struct pbx_db *db, const char *const *channels,
		  pbx_db_notify_h *nh, pbx_db_resync_h *rh, void *arg)
{
	struct pbx_db_listener *l;
	char err[256];
	size_t n = 0;
	int e;

	if (!db || !channels || !nh)
		return EINVAL;
	while (channels[n])
		n++;
	l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	l->channels = calloc(n + 1, sizeof(*l->channels));
	if (!l->channels) {
		free(l);
		return ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		l->channels[i] = strdup(channels[i]);
	l->db = db;
	l->nh = nh;
	l->rh = rh;
	l->arg = arg;

	/* The first LISTEN is made here, before the caller loads its
	 * caches, so no change can slip between the load and the LISTEN.
	 */
	e = subscribe(l, err, sizeof(err));
	if (e) {
		PBX_ERR("LISTEN connection: %s", err);
		goto fail;
	}
	e = pthread_create(&l->thread, NULL, listen_main, l);
	if (e) {
		PQfinish(l->conn);
		goto fail;
	}
	pbx_db_set_listener(db, l);
	return 0;
 fail:
	for (size_t i = 0; i < n; i++)
		free(l->channels[i]);
	free(l->channels);
	free(l);
	return e;
}

void pbx_db_listener_stop(struct pbx_db_listener *l)
{
	if (!l)
		return;
	atomic_store(&l->stop, true);
	pthread_join(l->thread, NULL);
}

void pbx_db_listener_free(struct pbx_db_listener *l)
{
	if (!l)
		return;
	for (char **c = l->channels; *c; c++)
		free(*c);
	free(l->channels);
	free(l);
}

/* db/listen.c - one thread holding a LISTEN connection. Notifications go
 * to the loop as messages; after a lost connection it reconnects and
 * tells the loop to resync, since notifications may have been missed.
 * Channels can be added while it runs (modules, at start-up): the
 * thread LISTENs on them and the caller waits until it has.
 */
#define PBX_LOG_TAG "db"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pbx/log.h>

#include "db/db.h"
#include "db/db_int.h"

/* How long pbx_db_listen_add() waits for its LISTEN. */
#define ADD_WAIT_S 10

struct pbx_db_listener {
	struct pbx_db *db;        /* (borrowed) */
	pbx_db_notify_h *nh;
	pbx_db_resync_h *rh;
	void *arg;
	PGconn *conn;             /* the thread's, after start-up */
	pthread_t thread;
	atomic_bool stop;

	pthread_mutex_t lock;
	pthread_cond_t listened;  /* <live> grew, or the connection is
				   * being remade */
	char **channels;          /* (lock) NULL-terminated */
	size_t n;                 /* (lock) entries in <channels> */
	size_t live;              /* (lock) the first <live> are LISTENed
				   * on the current connection */
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

/* LISTEN on <channel> over <conn>. 0, or EIO with the reason in <err>. */
static int listen_on(PGconn *conn, const char *channel, char *err,
		     size_t errsz)
{
	char *ident = PQescapeIdentifier(conn, channel, strlen(channel));
	char sql[160];
	PGresult *res;
	int ok;

	if (!ident) {
		snprintf(err, errsz, "LISTEN %s: %s", channel,
			 PQerrorMessage(conn));
		return EIO;
	}
	snprintf(sql, sizeof(sql), "LISTEN %s", ident);
	PQfreemem(ident);
	res = PQexec(conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(err, errsz, "LISTEN %s: %s", channel,
			 PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : EIO;
}

/* LISTEN on the channels not yet LISTENed on the current connection.
 * The lock is held across the round trips: only pbx_db_listen_add()
 * contends, and it waits for this anyway.
 */
static int listen_new(struct pbx_db_listener *l, char *err, size_t errsz)
{
	int e = 0;

	pthread_mutex_lock(&l->lock);
	while (!e && l->live < l->n) {
		e = listen_on(l->conn, l->channels[l->live], err, errsz);
		if (!e)
			l->live++;
	}
	pthread_cond_broadcast(&l->listened);
	pthread_mutex_unlock(&l->lock);
	return e;
}

/* Connect and LISTEN on every channel. */
static int subscribe(struct pbx_db_listener *l, char *err, size_t errsz)
{
	if (pbx_db_connect(&l->conn, pbx_db_conninfo(l->db), err, errsz))
		return EIO;
	pthread_mutex_lock(&l->lock);
	l->live = 0;
	pthread_mutex_unlock(&l->lock);
	if (listen_new(l, err, errsz)) {
		PQfinish(l->conn);
		l->conn = NULL;
		return EIO;
	}
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
		if (listen_new(l, err, sizeof(err))) {
			PBX_WARN("%s; reconnecting", err);
			PQfinish(l->conn);
			l->conn = NULL;
			continue;
		}
		/* Wake up now and then to notice a stop request or a
		 * channel to add.
		 */
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

static void listener_free(struct pbx_db_listener *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->channels[i]);
	free(l->channels);
	pthread_cond_destroy(&l->listened);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* Append <channel> to <l>'s list (lock held). */
static int channel_append(struct pbx_db_listener *l, const char *channel)
{
	char **v = realloc(l->channels, (l->n + 2) * sizeof(*v));

	if (!v)
		return ENOMEM;
	l->channels = v;
	v[l->n] = strdup(channel);
	if (!v[l->n])
		return ENOMEM;
	v[++l->n] = NULL;
	return 0;
}

int pbx_db_listen(struct pbx_db *db, const char *const *channels,
		  pbx_db_notify_h *nh, pbx_db_resync_h *rh, void *arg)
{
	struct pbx_db_listener *l;
	char err[256];
	int e = 0;

	if (!db || !channels || !nh)
		return EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->listened, NULL);
	for (size_t i = 0; channels[i] && !e; i++)
		e = channel_append(l, channels[i]);
	if (e) {
		listener_free(l);
		return e;
	}
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
		listener_free(l);
		return e;
	}
	e = pthread_create(&l->thread, NULL, listen_main, l);
	if (e) {
		PQfinish(l->conn);
		listener_free(l);
		return e;
	}
	pbx_db_set_listener(db, l);
	return 0;
}

int pbx_db_listen_add(struct pbx_db *db, const char *channel)
{
	struct pbx_db_listener *l = pbx_db_get_listener(db);
	struct timespec until;
	size_t want;
	int e = 0;

	if (!l || !channel || !*channel)
		return EINVAL;
	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->n; i++) {
		if (!strcmp(l->channels[i], channel)) {
			want = i + 1;
			goto wait;
		}
	}
	e = channel_append(l, channel);
	want = l->n;
 wait:
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ADD_WAIT_S;
	while (!e && l->live < want)
		e = pthread_cond_timedwait(&l->listened, &l->lock, &until);
	pthread_mutex_unlock(&l->lock);
	return e == ETIMEDOUT ? EIO : e;
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
	if (l)
		listener_free(l);
}

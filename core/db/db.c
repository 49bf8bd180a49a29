/* db/db.c - the loop's libpq workers. The loop queues jobs; a worker runs
 * each on its own connection and hands the result back through an
 * eventfd the loop watches, so the loop never waits on PostgreSQL.
 */
#define PBX_LOG_TAG "db"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <pbx/log.h>
#include <pbx/loop.h>

#include "db/db.h"
#include "db/db_int.h"
#include "util/fifo.h"

struct job {
	struct pbx_fifo_le le;
	pbx_db_run_h *run;
	pbx_db_done_h *done;
	void *arg;
	int err;
};

struct pbx_db {
	char *conninfo;
	pthread_mutex_t lock;
	pthread_cond_t work;      /* a job was queued, or stopping */
	pthread_cond_t idle;      /* a job finished */
	struct pbx_fifo queue;    /* of struct job: waiting for a worker */
	struct pbx_fifo done;     /* of struct job: waiting for the loop */
	unsigned busy;            /* jobs being run */
	bool stopping;
	pthread_t *threads;
	unsigned nthreads;
	int efd;                  /* eventfd: done jobs to collect */
	struct pbx_loop_watch *watch;
	struct pbx_db_listener *listener;
};

/* The oldest job of <q>, unlinked, or NULL. */
static struct job *jobq_pop(struct pbx_fifo *q)
{
	return PBX_FIFO_POP(q, struct job, le);
}

int pbx_db_connect(PGconn **connp, const char *conninfo,
		   char *err, size_t errsz)
{
	PGconn *conn = PQconnectdb(conninfo);

	if (PQstatus(conn) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(conn);
		size_t len = strlen(msg);

		/* libpq ends its messages with a newline; logs do not. */
		while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
			len--;
		if (err && errsz)
			snprintf(err, errsz, "%.*s", (int)len, msg);
		PQfinish(conn);
		return EIO;
	}
	*connp = conn;
	return 0;
}

bool pbx_db_sqlstate_is(const PGresult *res, const char *state)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s && state && !strcmp(s, state);
}

/* Registrar writes must not echo back through the registrations
 * trigger (sql/0001_init.sql); every worker connection is the loop's.
 */
static PGconn *worker_connect(const char *conninfo, time_t *last_warn)
{
	char err[256];
	PGconn *conn;
	PGresult *res;

	if (pbx_db_connect(&conn, conninfo, err, sizeof(err))) {
		time_t now = time(NULL);

		if (now != *last_warn)
			PBX_WARN("cannot connect to PostgreSQL: %s", err);
		*last_warn = now;
		return NULL;
	}
	res = PQexec(conn, "SET pbx.origin = 'registrar'");
	PQclear(res);
	return conn;
}

static void *worker_main(void *arg)
{
	struct pbx_db *db = arg;
	PGconn *conn = NULL;
	time_t last_warn = 0;

	pthread_mutex_lock(&db->lock);
	for (;;) {
		struct job *j;
		uint64_t one = 1;

		while (pbx_fifo_is_empty(&db->queue) && !db->stopping)
			pthread_cond_wait(&db->work, &db->lock);
		j = jobq_pop(&db->queue);
		if (!j)
			break;
		db->busy++;
		pthread_mutex_unlock(&db->lock);

		if (!conn)
			conn = worker_connect(db->conninfo, &last_warn);
		j->err = conn ? j->run(conn, j->arg) : EIO;
		if (conn && PQstatus(conn) != CONNECTION_OK) {
			PQfinish(conn);
			conn = NULL;
		}

		pthread_mutex_lock(&db->lock);
		db->busy--;
		pbx_fifo_push(&db->done, &j->le);
		pthread_cond_broadcast(&db->idle);
		if (write(db->efd, &one, sizeof(one)) < 0)
			PBX_ERR("eventfd write: %s", strerror(errno));
	}
	pthread_mutex_unlock(&db->lock);
	PQfinish(conn);
	return NULL;
}

/* Run every finished job's completion on the loop thread. */
static void collect(struct pbx_db *db)
{
	struct pbx_fifo done;
	struct job *j;

	pthread_mutex_lock(&db->lock);
	pbx_fifo_move(&done, &db->done);
	pthread_mutex_unlock(&db->lock);

	while ((j = jobq_pop(&done))) {
		if (j->done)
			j->done(j->err, j->arg);
		free(j);
	}
}

static void on_eventfd(int fd, void *arg)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		PBX_ERR("eventfd read: %s", strerror(errno));
	collect(arg);
}

int pbx_db_alloc(struct pbx_db **dbp, const char *conninfo,
		 unsigned workers)
{
	struct pbx_db *db;
	int err;

	if (!dbp || !conninfo || !workers)
		return EINVAL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return ENOMEM;
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->work, NULL);
	pthread_cond_init(&db->idle, NULL);
	db->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	db->conninfo = strdup(conninfo);
	db->threads = calloc(workers, sizeof(*db->threads));
	if (db->efd < 0 || !db->conninfo || !db->threads) {
		err = db->efd < 0 ? errno : ENOMEM;
		goto out;
	}
	err = pbx_loop_watch_fd(&db->watch, db->efd, on_eventfd, db);
	if (err)
		goto out;
	for (; db->nthreads < workers; db->nthreads++) {
		err = pthread_create(&db->threads[db->nthreads], NULL,
				     worker_main, db);
		if (err)
			goto out;
	}
 out:
	if (err)
		pbx_db_free(db);
	else
		*dbp = db;
	return err;
}

int pbx_db_submit(struct pbx_db *db, pbx_db_run_h *run,
		  pbx_db_done_h *done, void *arg)
{
	struct job *j;

	if (!db || !run)
		return EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return ENOMEM;
	j->run = run;
	j->done = done;
	j->arg = arg;

	pthread_mutex_lock(&db->lock);
	if (db->stopping) {
		pthread_mutex_unlock(&db->lock);
		free(j);
		return ESHUTDOWN;
	}
	pbx_fifo_push(&db->queue, &j->le);
	pthread_cond_signal(&db->work);
	pthread_mutex_unlock(&db->lock);
	return 0;
}

int pbx_db_post(struct pbx_db *db, pbx_db_done_h *done, void *arg, int err)
{
	struct job *j;
	uint64_t one = 1;

	if (!db || !done)
		return EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return ENOMEM;
	j->done = done;
	j->arg = arg;
	j->err = err;

	pthread_mutex_lock(&db->lock);
	pbx_fifo_push(&db->done, &j->le);
	pthread_cond_broadcast(&db->idle);
	pthread_mutex_unlock(&db->lock);
	if (write(db->efd, &one, sizeof(one)) < 0)
		return errno;
	return 0;
}

void pbx_db_set_listener(struct pbx_db *db, struct pbx_db_listener *l)
{
	db->listener = l;
}

struct pbx_db_listener *pbx_db_get_listener(struct pbx_db *db)
{
	return db ? db->listener : NULL;
}

const char *pbx_db_conninfo(const struct pbx_db *db)
{
	return db->conninfo;
}

void pbx_db_free(struct pbx_db *db)
{
	if (!db)
		return;

	pbx_db_listener_stop(db->listener);

	/* Drain: completions may queue follow-up jobs (a write-behind
	 * flush re-submitting what is left), so loop until all is quiet.
	 */
	for (;;) {
		bool quiet;

		pthread_mutex_lock(&db->lock);
		while ((!pbx_fifo_is_empty(&db->queue) || db->busy) &&
		       pbx_fifo_is_empty(&db->done) && db->nthreads)
			pthread_cond_wait(&db->idle, &db->lock);
		quiet = pbx_fifo_is_empty(&db->done) &&
			(!db->nthreads ||
			 (pbx_fifo_is_empty(&db->queue) && !db->busy));
		pthread_mutex_unlock(&db->lock);
		if (quiet)
			break;
		collect(db);
	}

	pthread_mutex_lock(&db->lock);
	db->stopping = true;
	pthread_cond_broadcast(&db->work);
	pthread_mutex_unlock(&db->lock);
	for (unsigned i = 0; i < db->nthreads; i++)
		pthread_join(db->threads[i], NULL);

	/* Jobs that never ran (no workers) still owe their completion. */
	for (struct job *j; (j = jobq_pop(&db->queue));) {
		if (j->done)
			j->done(ECANCELED, j->arg);
		free(j);
	}
	pbx_db_listener_free(db->listener);
	pbx_loop_unwatch(db->watch);
	if (db->efd >= 0)
		close(db->efd);
	pthread_cond_destroy(&db->work);
	pthread_cond_destroy(&db->idle);
	pthread_mutex_destroy(&db->lock);
	free(db->threads);
	free(db->conninfo);
	free(db);
}

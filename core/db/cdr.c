/* db/cdr.c - the CDR writer (see cdr.h). Records are serialised to one
 * JSON line on submit (cdr_format.c); that line is both the spool format
 * and the input of the batch INSERT (jsonb_to_recordset), so spooling
 * and replaying never convert anything. Three threads take part:
 *  - the loop queues records, batches them to a db worker and decides
 *    between the database and the spool (the "spooling" state);
 *  - db workers insert batches and replay spool files;
 *  - the writer's spool thread appends to the spool files and fsyncs.
 *    Not a db worker: those run no job while they cannot connect, which
 *    is exactly when the spool is needed.
 * The loop never touches a file, and the file lock is never taken on it.
 */
#define PBX_LOG_TAG "cdr"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <pbx/log.h>
#include <pbx/loop.h>

#include "db/cdr.h"
#include "db/cdr_format.h"
#include "db/db.h"
#include "util/fifo.h"

#define BATCH_MAX       200   /* rows per INSERT statement */
#define REPLAY_AGAIN_MS 100   /* spool grew during a replay: go again */
#define REPLAY_ROUNDS   4     /* files one replay job takes at most */
/* Rows one replay job sends at most: a day's spool must not hold a
 * worker (and with it the registrar's writes) for minutes.
 */
#define REPLAY_JOB_ROWS 5000

/* What the insert job made of a record. */
enum fate {
	F_NONE = 0,               /* not tried: the job never ran */
	F_DONE,                   /* committed */
	F_SPOOL,                  /* database unreachable: spool it */
	F_REJECT,                 /* PostgreSQL refused its content */
};

struct rec {
	struct rec *next;
	char call_id[PBX_CDR_ID_LEN + 1];
	char *sip_call_id;        /* (owned) for log lines, or NULL */
	char *line;               /* (owned) pbx_cdr_to_json() */
	enum fate fate;           /* written by the insert job */
};

struct recq {
	struct rec *head, *tail;
	size_t n;
};

/* Work for the spool thread: append <recs> to the spool or the
 * rejected file; comes back to the loop with <err>.
 */
struct sjob {
	struct pbx_fifo_le le;
	bool reject;
	struct recq recs;
	int err;
};

struct pbx_cdr_writer {
	struct pbx_db *db;        /* (borrowed) */
	char *node;               /* (owned) */
	char *dir;                /* (owned) spool directory */
	char *spool_path;         /* (owned) dir/PBX_CDR_SPOOL_FILE */
	char *replay_path;        /* (owned) dir/PBX_CDR_REPLAY_FILE */
	char *reject_path;        /* (owned) dir/PBX_CDR_REJECTED_FILE */

	/* Loop thread only. */
	struct recq pending;      /* waiting for a batch */
	bool batch_inflight;      /* one at a time: rows keep their order */
	bool replay_inflight;
	bool spooling;            /* database unreachable: spool new CDRs */
	bool closing;             /* flushed: no timer, no replay */
	bool freeing;
	unsigned spool_busy;      /* spool jobs not back yet */
	uint64_t spool_gen;       /* spool jobs back so far */
	uint64_t spooled_at_outage; /* st.spooled when spooling began */
	size_t inmem;             /* records alive */
	struct pbx_timer *timer;  /* (owned) retry, replay again */
	bool timer_armed;
	int64_t timer_due_ms;     /* CLOCK_MONOTONIC */
	struct pbx_cdr_stats st;

	/* The spool thread and its mailboxes, under <lock>. */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;      /* a job was queued, or stopping */
	struct pbx_fifo sq;       /* of struct sjob: to the spool thread */
	struct pbx_fifo sd;       /* of struct sjob: back to the loop */
	bool stop;
	int efd;                  /* eventfd: jobs in <sd> */
	struct pbx_loop_watch *watch;

	/* Serialises the files: spool appends against the replay's
	 * rename, and rejected-file appends from both threads.
	 */
	pthread_mutex_t file_lock;

	/* Progress through the replay file, kept from one replay job to
	 * the next (one in flight at a time; the db queue's lock orders
	 * them). Lost in a crash, which only means rows sent twice.
	 */
	long replay_off;          /* bytes whose rows are committed */
	size_t rf_inserted;       /* counts for the file, for its log */
	size_t rf_dups;
	size_t rf_rejected;
};

/* ---- Records and queues ---- */

static void recq_push(struct recq *q, struct rec *r)
{
	r->next = NULL;
	if (q->tail)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	q->n++;
}

static struct rec *recq_pop(struct recq *q)
{
	struct rec *r = q->head;

	if (r) {
		q->head = r->next;
		if (!q->head)
			q->tail = NULL;
		q->n--;
	}
	return r;
}

/* Put all of <src> before <dst>'s records; <src> ends empty. */
static void recq_prepend(struct recq *dst, struct recq *src)
{
	if (!src->n)
		return;
	src->tail->next = dst->head;
	if (!dst->tail)
		dst->tail = src->tail;
	dst->head = src->head;
	dst->n += src->n;
	memset(src, 0, sizeof(*src));
}

static void rec_free(struct pbx_cdr_writer *w, struct rec *r)
{
	free(r->sip_call_id);
	free(r->line);
	free(r);
	w->inmem--;
}

/* Last resort, at free: a record nothing could store goes to the log
 * whole, in pieces that fit a log line, for an administrator to insert.
 */
static void log_lost(const struct rec *r, const char *why)
{
	size_t len = strlen(r->line), part = 1500;

	for (size_t off = 0; off < len; off += part)
		PBX_LOG(PBX_LOG_ERR, r->sip_call_id,
			"CDR %s LOST (%s), part %zu/%zu: %.*s", r->call_id,
			why, off / part + 1, (len + part - 1) / part,
			(int)(len - off < part ? len - off : part),
			r->line + off);
}

/* The oldest spool job of <q>, unlinked, or NULL. */
static struct sjob *sjobq_pop(struct pbx_fifo *q)
{
	return PBX_FIFO_POP(q, struct sjob, le);
}

/* ---- Files (spool thread and db workers, never the loop) ---- */

/* Create <dir> and missing parents; <dir> itself gets mode 0700, since
 * records hold phone numbers.
 */
static int dir_ensure(const char *dir)
{
	struct stat sb;
	char *tmp, *p;

	if (!stat(dir, &sb))
		return S_ISDIR(sb.st_mode) ? 0 : ENOTDIR;
	tmp = strdup(dir);
	if (!tmp)
		return ENOMEM;
	for (p = strchr(tmp + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST) {
			int err = errno;

			free(tmp);
			return err;
		}
		*p = '/';
	}
	free(tmp);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return errno;
	return 0;
}

/* fsync <dir>, so a created, renamed or removed entry is durable. */
static int dir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return errno;
	if (fsync(fd) < 0)
		err = errno;
	close(fd);
	return err;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Append <len> bytes of whole lines to <path> in <dir> and fsync. On
 * failure the file is cut back to its old size, so a half-written line
 * never glues onto the next. Caller holds the file lock.
 */
static int file_append(const char *dir, const char *path, const char *buf,
		       size_t len)
{
	struct stat sb;
	char last;
	int fd, err;

	err = dir_ensure(dir);
	if (err)
		return err;
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	if (fstat(fd, &sb) < 0) {
		err = errno;
		close(fd);
		return err;
	}
	/* A crash during an earlier append may have left a cut line. */
	if (sb.st_size > 0 && pread(fd, &last, 1, sb.st_size - 1) == 1 &&
	    last != '\n')
		err = write_all(fd, "\n", 1);
	if (!err)
		err = write_all(fd, buf, len);
	if (!err && fsync(fd) < 0)
		err = errno;
	if (err && ftruncate(fd, sb.st_size) < 0)
		PBX_ERR("cannot cut %s back after a failed write: %s", path,
			strerror(errno));
	close(fd);
	if (!err && sb.st_size == 0)
		err = dir_sync(dir);
	return err;
}

/* <n> lines, each followed by a newline, in one buffer. */
static char *join_lines(char *const *v, size_t n, size_t *lenp)
{
	size_t len = 0, o = 0;
	char *buf;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	buf = malloc(len + 1);
	if (!buf)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]);

		memcpy(buf + o, v[i], l);
		o += l;
		buf[o++] = '\n';
	}
	buf[o] = '\0';
	*lenp = o;
	return buf;
}

static int append_lines(struct pbx_cdr_writer *w, const char *path,
			char *const *v, size_t n)
{
	size_t len;
	char *buf = join_lines(v, n, &len);
	int err;

	if (!buf)
		return ENOMEM;
	pthread_mutex_lock(&w->file_lock);
	err = file_append(w->dir, path, buf, len);
	pthread_mutex_unlock(&w->file_lock);
	free(buf);
	return err;
}

/* ---- Spool thread ---- */

static int spool_write(struct pbx_cdr_writer *w, struct sjob *j)
{
	const char *path = j->reject ? w->reject_path : w->spool_path;
	char **v = calloc(j->recs.n, sizeof(*v));
	struct rec *r;
	size_t n = 0;
	int err;

	if (!v)
		return ENOMEM;
	for (r = j->recs.head; r; r = r->next)
		v[n++] = r->line;
	err = append_lines(w, path, v, n);
	free(v);

	for (r = j->recs.head; r; r = r->next) {
		if (err)
			PBX_LOG(PBX_LOG_ERR, r->sip_call_id,
				"CDR %s: cannot write %s: %s; kept in "
				"memory", r->call_id, path, strerror(err));
		else if (j->reject)
			PBX_LOG(PBX_LOG_ERR, r->sip_call_id,
				"CDR %s refused by PostgreSQL; kept in %s",
				r->call_id, path);
		else
			PBX_LOG(PBX_LOG_NOTICE, r->sip_call_id,
				"CDR %s spooled to %s", r->call_id, path);
	}
	return err;
}

static void *spool_main(void *arg)
{
	struct pbx_cdr_writer *w = arg;
	uint64_t one = 1;
	int err;

	/* Early, so a bad cdr.spool_dir shows at start-up, not during
	 * the first database outage.
	 */
	err = dir_ensure(w->dir);
	if (err)
		PBX_WARN("CDR spool directory %s unusable: %s; CDRs stay in "
			 "memory while PostgreSQL is unreachable", w->dir,
			 strerror(err));

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct sjob *j;

		while (pbx_fifo_is_empty(&w->sq) && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		j = sjobq_pop(&w->sq);
		if (!j)
			break;
		pthread_mutex_unlock(&w->lock);

		j->err = spool_write(w, j);

		pthread_mutex_lock(&w->lock);
		pbx_fifo_push(&w->sd, &j->le);
		if (write(w->efd, &one, sizeof(one)) < 0)
			PBX_ERR("eventfd write: %s", strerror(errno));
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ---- Loop side ---- */

static void replay_start(struct pbx_cdr_writer *w);
static void kick(struct pbx_cdr_writer *w);

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_timer(void *arg)
{
	struct pbx_cdr_writer *w = arg;

	w->timer_armed = false;
	if (w->closing)
		return;
	replay_start(w);
	kick(w);
}

/* Run on_timer in <ms> at the latest. Never postpones an armed timer:
 * while CDRs keep spooling, the retry must still come.
 */
static void arm(struct pbx_cdr_writer *w, unsigned ms)
{
	int64_t due = now_ms() + ms;

	if (w->closing || (w->timer_armed && w->timer_due_ms <= due))
		return;
	if (!pbx_timer_start(w->timer, ms, on_timer, w)) {
		w->timer_armed = true;
		w->timer_due_ms = due;
	}
}

/* Hand the records of <q> to the spool thread; <q> ends empty. */
static void spool_send(struct pbx_cdr_writer *w, struct recq *q,
		       bool reject)
{
	struct sjob *j;

	if (!q->n)
		return;
	j = calloc(1, sizeof(*j));
	if (!j) {
		/* Keep them for the next retry. */
		if (q != &w->pending)
			recq_prepend(&w->pending, q);
		arm(w, PBX_CDR_RETRY_MS);
		return;
	}
	j->reject = reject;
	j->recs = *q;
	memset(q, 0, sizeof(*q));
	pthread_mutex_lock(&w->lock);
	pbx_fifo_push(&w->sq, &j->le);
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	w->spool_busy++;
}

static void spooling_enter(struct pbx_cdr_writer *w)
{
	if (!w->spooling) {
		w->spooling = true;
		w->spooled_at_outage = w->st.spooled;
		PBX_WARN("PostgreSQL unreachable: spooling CDRs to %s, "
			 "retrying every %u s", w->spool_path,
			 PBX_CDR_RETRY_MS / 1000);
	}
	spool_send(w, &w->pending, false);
	arm(w, PBX_CDR_RETRY_MS);
}

static void spooling_leave(struct pbx_cdr_writer *w)
{
	if (!w->spooling)
		return;
	w->spooling = false;
	PBX_NOTICE("PostgreSQL reachable again: spool replayed, writing "
		   "CDRs directly (%llu spooled during the outage)",
		   (unsigned long long)(w->st.spooled -
					w->spooled_at_outage));
}

/* The spool thread finished jobs: count them, or keep what failed. */
static void collect_spool(struct pbx_cdr_writer *w)
{
	struct pbx_fifo done;
	struct sjob *j;
	bool failed = false;

	pthread_mutex_lock(&w->lock);
	pbx_fifo_move(&done, &w->sd);
	pthread_mutex_unlock(&w->lock);

	while ((j = sjobq_pop(&done))) {
		struct rec *r;

		w->spool_busy--;
		w->spool_gen++;
		if (!j->err) {
			if (j->reject)
				w->st.rejected += j->recs.n;
			else
				w->st.spooled += j->recs.n;
		} else if (!w->freeing) {
			recq_prepend(&w->pending, &j->recs);
			failed = true;
		}
		while ((r = recq_pop(&j->recs))) {
			/* At free, the log is the last place left. */
			if (j->err)
				log_lost(r, "spool unwritable");
			rec_free(w, r);
		}
		free(j);
	}
	if (w->freeing)
		return;
	/* A failed append waits for the retry rather than spinning on a
	 * full disk; a spool that grew needs its replay.
	 */
	if (failed || w->spooling)
		arm(w, PBX_CDR_RETRY_MS);
}

static void on_spool_efd(int fd, void *arg)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		PBX_ERR("eventfd read: %s", strerror(errno));
	collect_spool(arg);
}

/* ---- Batch insert (db worker) ---- */

struct batch {
	struct pbx_cdr_writer *w;
	struct recq recs;         /* (owned) while in flight */
};

/* Each object of the array $1 is one pbx_cdr_to_json() line; a call_id
 * already present (a replay, or a duplicate within the batch) is
 * skipped, which is what makes replaying a spool twice harmless.
 */
static const char insert_sql[] =
	"INSERT INTO cdrs (call_id, sip_call_id, node, caller_number,"
	" caller_name, destination, legs, start_time, answer_time, end_time,"
	" duration, billsec, disposition, hangup_cause, hangup_side)"
	" SELECT call_id, sip_call_id, node, caller_number, caller_name,"
	" destination, coalesce(legs, '[]'), start_time, answer_time,"
	" end_time, duration, billsec, disposition, hangup_cause,"
	" hangup_side"
	" FROM jsonb_to_recordset($1::jsonb) AS r(call_id uuid,"
	" sip_call_id text, node text, caller_number text, caller_name text,"
	" destination text, legs jsonb, start_time timestamptz,"
	" answer_time timestamptz, end_time timestamptz, duration int,"
	" billsec int, disposition text, hangup_cause int, hangup_side text)"
	" ON CONFLICT (call_id) DO NOTHING";

/* EPROTO when PostgreSQL refused the content (SQLSTATE classes 22, data
 * exception, and 23, integrity constraint): the same rows would fail
 * again, so they must not block the spool. Anything else (connection
 * lost, server shutting down, disk full, table missing before its
 * migration) may pass later: EIO, keep the rows.
 */
static int classify(PGconn *conn, const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (PQstatus(conn) != CONNECTION_OK || !state)
		return EIO;
	if (!strncmp(state, "22", 2) || !strncmp(state, "23", 2))
		return EPROTO;
	return EIO;
}

/* Insert the <n> JSON lines of <v> in one statement. 0 with the rows
 * actually inserted in <*insp>, EPROTO or EIO (see classify()) with the
 * server's message in <msg>, or ENOMEM.
 */
static int insert_lines(PGconn *conn, char *const *v, size_t n,
			size_t *insp, char *msg, size_t msgsz)
{
	size_t len = 3, o = 0, l;
	const char *param;
	PGresult *res;
	char *buf;
	int err = 0;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	buf = malloc(len);
	if (!buf)
		return ENOMEM;
	buf[o++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf[o++] = ',';
		l = strlen(v[i]);
		memcpy(buf + o, v[i], l);
		o += l;
	}
	buf[o++] = ']';
	buf[o] = '\0';

	param = buf;
	res = PQexecParams(conn, insert_sql, 1, NULL, &param, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		*insp = strtoul(PQcmdTuples(res), NULL, 10);
	} else {
		/* The primary message only: DETAIL would repeat the row. */
		const char *m = PQresultErrorField(res,
						   PG_DIAG_MESSAGE_PRIMARY);

		if (!m)
			m = res ? PQresultErrorMessage(res)
				: PQerrorMessage(conn);

		l = strlen(m);
		while (l && (m[l - 1] == '\n' || m[l - 1] == ' '))
			l--;
		snprintf(msg, msgsz, "%.*s", (int)l, m);
		err = classify(conn, res);
	}
	PQclear(res);
	free(buf);
	return err;
}

/* One bad row spoils its statement: find it by going row by row. The
 * first unreachable-database error sends the rest to the spool.
 */
static void batch_split(PGconn *conn, struct batch *b)
{
	bool down = false;

	for (struct rec *r = b->recs.head; r; r = r->next) {
		char msg[256];
		size_t ins;
		int err;

		if (down) {
			r->fate = F_SPOOL;
			continue;
		}
		err = insert_lines(conn, &r->line, 1, &ins, msg, sizeof(msg));
		if (!err) {
			r->fate = F_DONE;
		} else if (err == EPROTO) {
			PBX_LOG(PBX_LOG_ERR, r->sip_call_id,
				"CDR %s refused by PostgreSQL: %s",
				r->call_id, msg);
			r->fate = F_REJECT;
		} else {
			r->fate = F_SPOOL;
			down = true;
		}
	}
}

static int batch_run(PGconn *conn, void *arg)
{
	struct batch *b = arg;
	char **v = calloc(b->recs.n, sizeof(*v));
	char msg[256];
	struct rec *r;
	size_t n = 0, ins = 0;
	int err;

	if (!v)
		return ENOMEM;
	for (r = b->recs.head; r; r = r->next)
		v[n++] = r->line;
	err = insert_lines(conn, v, n, &ins, msg, sizeof(msg));
	free(v);
	if (!err) {
		for (r = b->recs.head; r; r = r->next)
			r->fate = F_DONE;
		if (ins < n)
			PBX_INFO("%zu of %zu CDRs were in the table already",
				 n - ins, n);
	} else if (err == EPROTO) {
		batch_split(conn, b);
		err = 0;
	} else if (err == EIO) {
		PBX_WARN("writing %zu CDRs: %s", n, msg);
	}
	return err;
}

/* Loop: sort the batch's records by what became of them. */
static void batch_done(int err, void *arg)
{
	struct batch *b = arg;
	struct pbx_cdr_writer *w = b->w;
	struct recq spool = { 0 }, reject = { 0 };
	struct rec *r;

	w->batch_inflight = false;
	while ((r = recq_pop(&b->recs))) {
		if (err || r->fate == F_NONE)
			r->fate = F_SPOOL;
		if (r->fate == F_DONE) {
			w->st.written++;
			rec_free(w, r);
		} else {
			recq_push(r->fate == F_REJECT ? &reject : &spool, r);
		}
	}
	free(b);

	spool_send(w, &reject, true);
	if (spool.n) {
		spool_send(w, &spool, false);
		spooling_enter(w);
		return;
	}
	kick(w);
}

/* Send the next batch of pending records unless one is in flight or
 * the database is known to be unreachable.
 */
static void kick(struct pbx_cdr_writer *w)
{
	struct batch *b;
	int err;

	if (w->batch_inflight || w->spooling || !w->pending.n)
		return;
	b = calloc(1, sizeof(*b));
	if (!b) {
		arm(w, PBX_CDR_RETRY_MS);
		return;
	}
	b->w = w;
	while (b->recs.n < BATCH_MAX && w->pending.n)
		recq_push(&b->recs, recq_pop(&w->pending));
	w->batch_inflight = true;
	err = pbx_db_submit(w->db, batch_run, batch_done, b);
	if (err)
		batch_done(err, b);
}

/* ---- Replay (db worker) ---- */

struct replay {
	struct pbx_cdr_writer *w;
	uint64_t gen;             /* w->spool_gen when submitted */
	size_t inserted;          /* rows new to the table */
	size_t dups;              /* rows it had already */
	size_t rejected;          /* refused rows and unreadable lines */
	bool more;                /* stopped early: go on at once */
};

static int replay_reject(struct replay *rp, char *line, const char *why)
{
	char id[PBX_CDR_ID_LEN + 1];
	int err;

	pbx_cdr_line_call_id(line, id);
	err = append_lines(rp->w, rp->w->reject_path, &line, 1);
	if (err)
		return err;
	PBX_ERR("replay: CDR %s %s; kept in %s", id, why,
		rp->w->reject_path);
	rp->rejected++;
	return 0;
}

/* Insert <n> lines of the replay file; row by row when one is bad. */
static int replay_chunk(PGconn *conn, struct replay *rp, char **v,
			size_t n)
{
	char msg[256], why[300];
	size_t ins;
	int err;

	err = insert_lines(conn, v, n, &ins, msg, sizeof(msg));
	if (err == EPROTO) {
		for (size_t i = 0; i < n; i++) {
			err = insert_lines(conn, &v[i], 1, &ins, msg,
					   sizeof(msg));
			if (err == EPROTO) {
				snprintf(why, sizeof(why),
					 "refused by PostgreSQL: %s", msg);
				err = replay_reject(rp, v[i], why);
			} else if (!err) {
				rp->inserted += ins;
				rp->dups += 1 - ins;
			}
			if (err)
				break;
		}
	} else if (!err) {
		rp->inserted += ins;
		rp->dups += n - ins;
	}
	if (err == EIO)
		PBX_WARN("replaying %s: %s", rp->w->replay_path, msg);
	return err;
}

/* The replay file is done: every row is committed or set aside. */
static int replay_finish(struct pbx_cdr_writer *w)
{
	int err = 0;

	pthread_mutex_lock(&w->file_lock);
	if (unlink(w->replay_path) < 0)
		err = errno;
	else
		err = dir_sync(w->dir);
	pthread_mutex_unlock(&w->file_lock);
	if (err) {
		PBX_ERR("cannot remove %s after replaying it: %s",
			w->replay_path, strerror(err));
		return err;
	}
	PBX_NOTICE("spool replay finished: %zu CDRs inserted, %zu already "
		   "present, %zu rejected", w->rf_inserted, w->rf_dups,
		   w->rf_rejected);
	w->replay_off = 0;
	w->rf_inserted = w->rf_dups = w->rf_rejected = 0;
	return 0;
}

/* Insert the records of the replay file from where the last job left
 * off, BATCH_MAX per statement, until its end (then remove it) or until
 * <*budget> rows are spent: EAGAIN. A line set aside before a failure
 * is set aside again on the retry (twice in the rejected file, once in
 * the table).
 */
static int replay_file(PGconn *conn, struct replay *rp, size_t *budget)
{
	struct pbx_cdr_writer *w = rp->w;
	size_t n = 0, cap = 0, ins0 = rp->inserted, dup0 = rp->dups;
	size_t rej0 = rp->rejected;
	char *v[BATCH_MAX], *line = NULL;
	ssize_t len;
	FILE *f;
	int err = 0;

	f = fopen(w->replay_path, "re");
	if (!f)
		return errno == ENOENT ? 0 : errno;
	if (w->replay_off && fseek(f, w->replay_off, SEEK_SET) < 0)
		err = errno;
	while (!err && (len = getline(&line, &cap, f)) >= 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		if (!pbx_cdr_line_is_record(line)) {
			err = replay_reject(rp, line, "unreadable (cut short"
					    " by a crash?)");
			continue;
		}
		v[n] = strdup(line);
		if (!v[n]) {
			err = ENOMEM;
			break;
		}
		if (++n < BATCH_MAX)
			continue;
		err = replay_chunk(conn, rp, v, n);
		while (n)
			free(v[--n]);
		if (err)
			break;
		w->replay_off = ftell(f);
		*budget = *budget > BATCH_MAX ? *budget - BATCH_MAX : 0;
		if (!*budget)
			err = EAGAIN;
	}
	if (!err && ferror(f))
		err = EIO;
	if (!err && n)
		err = replay_chunk(conn, rp, v, n);
	while (n)
		free(v[--n]);
	free(line);
	fclose(f);
	w->rf_inserted += rp->inserted - ins0;
	w->rf_dups += rp->dups - dup0;
	w->rf_rejected += rp->rejected - rej0;
	return err ? err : replay_finish(w);
}

/* Make the replay file the one to read: the one a crashed or failed
 * replay left, or else the spool, renamed so that appends meanwhile go
 * to a new spool file. <*havep> false: nothing to replay.
 */
static int replay_take(struct pbx_cdr_writer *w, bool *havep)
{
	int err = 0;

	*havep = false;
	pthread_mutex_lock(&w->file_lock);
	if (!access(w->replay_path, F_OK)) {
		*havep = true;
	} else if (errno != ENOENT) {
		err = errno;
	} else if (!rename(w->spool_path, w->replay_path)) {
		*havep = true;
		w->replay_off = 0;
		err = dir_sync(w->dir);
	} else if (errno != ENOENT) {
		err = errno;
	}
	pthread_mutex_unlock(&w->file_lock);
	if (err)
		PBX_ERR("cannot take the spool in %s for replay: %s",
			w->dir, strerror(err));
	return err;
}

static int replay_run(PGconn *conn, void *arg)
{
	struct replay *rp = arg;
	size_t budget = REPLAY_JOB_ROWS;

	for (int i = 0; i < REPLAY_ROUNDS; i++) {
		bool have;
		int err = replay_take(rp->w, &have);

		if (err || !have)
			return err;
		err = replay_file(conn, rp, &budget);
		if (err == EAGAIN)
			break;
		if (err)
			return err;
	}
	/* Files or rows left: the loop sends the next job at once. */
	rp->more = true;
	return 0;
}

/* Loop: the replay ended; leave the spooling state once no spool is
 * left and none is being written.
 */
static void replay_done(int err, void *arg)
{
	struct replay *rp = arg;
	struct pbx_cdr_writer *w = rp->w;

	w->replay_inflight = false;
	w->st.replayed += rp->inserted;
	w->st.duplicates += rp->dups;
	w->st.rejected += rp->rejected;
	if (err)
		spooling_enter(w);
	else if (rp->more || w->spool_busy || w->spool_gen != rp->gen)
		arm(w, REPLAY_AGAIN_MS);
	else
		spooling_leave(w);
	free(rp);
	kick(w);
}

static void replay_start(struct pbx_cdr_writer *w)
{
	struct replay *rp;

	if (w->replay_inflight || w->closing)
		return;
	rp = calloc(1, sizeof(*rp));
	if (rp) {
		rp->w = w;
		rp->gen = w->spool_gen;
	}
	if (!rp || pbx_db_submit(w->db, replay_run, replay_done, rp)) {
		free(rp);
		arm(w, PBX_CDR_RETRY_MS);
		return;
	}
	w->replay_inflight = true;
}

/* ---- API ---- */

static char *path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *p = malloc(len);

	if (p)
		snprintf(p, len, "%s/%s", dir, name);
	return p;
}

int pbx_cdr_writer_alloc(struct pbx_cdr_writer **wp, struct pbx_db *db,
			 const char *node, const char *spool_dir)
{
	struct pbx_cdr_writer *w;
	int err = 0;

	if (!wp || !db || !node || !spool_dir || !*spool_dir)
		return EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	w->db = db;
	w->efd = -1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->file_lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->node = strdup(node);
	w->dir = strdup(spool_dir);
	w->spool_path = path_join(spool_dir, PBX_CDR_SPOOL_FILE);
	w->replay_path = path_join(spool_dir, PBX_CDR_REPLAY_FILE);
	w->reject_path = path_join(spool_dir, PBX_CDR_REJECTED_FILE);
	if (!w->node || !w->dir || !w->spool_path || !w->replay_path ||
	    !w->reject_path) {
		err = ENOMEM;
		goto out;
	}
	err = pbx_timer_alloc(&w->timer);
	if (err)
		goto out;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0) {
		err = errno;
		goto out;
	}
	err = pbx_loop_watch_fd(&w->watch, w->efd, on_spool_efd, w);
	if (err)
		goto out;
	err = pthread_create(&w->thread, NULL, spool_main, w);
	if (err)
		goto out;
	w->thread_started = true;

	/* A spool a previous run left (crash, or PostgreSQL down at its
	 * shutdown) goes in first.
	 */
	replay_start(w);
 out:
	if (err)
		pbx_cdr_writer_free(w);
	else
		*wp = w;
	return err;
}

int pbx_cdr_submit(struct pbx_cdr_writer *w, const struct pbx_cdr *cdr)
{
	struct rec *r;
	int err;

	if (!w || !cdr)
		return EINVAL;
	if (w->freeing)
		return ESHUTDOWN;
	r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	err = pbx_cdr_to_json(cdr, w->node, &r->line);
	if (!err && cdr->sip_call_id &&
	    !(r->sip_call_id = strdup(cdr->sip_call_id)))
		err = ENOMEM;
	if (err) {
		free(r->line);
		free(r);
		return err;
	}
	memcpy(r->call_id, cdr->call_id, sizeof(r->call_id));
	w->inmem++;
	w->st.submitted++;
	recq_push(&w->pending, r);
	if (w->spooling)
		spool_send(w, &w->pending, false);
	else
		kick(w);
	return 0;
}

void pbx_cdr_writer_flush(struct pbx_cdr_writer *w)
{
	if (!w)
		return;
	w->closing = true;
	pbx_timer_cancel(w->timer);
	w->timer_armed = false;
	if (w->spooling)
		spool_send(w, &w->pending, false);
	else
		kick(w);
	if (w->inmem)
		PBX_INFO("flushing %zu CDRs at shutdown", w->inmem);
}

void pbx_cdr_writer_stats(const struct pbx_cdr_writer *w,
			  struct pbx_cdr_stats *st)
{
	*st = w->st;
	st->pending = w->inmem;
	st->spooling = w->spooling;
}

void pbx_cdr_writer_free(struct pbx_cdr_writer *w)
{
	if (!w)
		return;
	if (w->batch_inflight || w->replay_inflight) {
		/* Their completions would run on freed memory: better a
		 * leak at exit than a crash that loses the spool's tail.
		 */
		PBX_ERR("CDR writer freed with database jobs in flight "
			"(pbx_db_free() must come first); not freed");
		return;
	}
	w->freeing = true;
	w->closing = true;
	if (w->thread_started) {
		/* Last chance for anything still in memory. */
		spool_send(w, &w->pending, false);
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		collect_spool(w);
	}
	for (struct rec *r; (r = recq_pop(&w->pending));) {
		log_lost(r, "out of memory");
		rec_free(w, r);
	}
	pbx_loop_unwatch(w->watch);
	if (w->efd >= 0)
		close(w->efd);
	pbx_timer_free(w->timer);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->file_lock);
	pthread_mutex_destroy(&w->lock);
	free(w->reject_path);
	free(w->replay_path);
	free(w->spool_path);
	free(w->dir);
	free(w->node);
	free(w);
}

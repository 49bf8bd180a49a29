/* db/location.c - live bindings in memory, written through to the
 * registrations table (see location.h). Each change is recorded per
 * binding id in <pending>, so a binding refreshed ten times between two
 * flushes costs one row write; a flush is one statement (a DELETE in a
 * CTE plus a multi-row upsert from arrays), one round trip per batch.
 */
#define PBX_LOG_TAG "location"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pbx/log.h>
#include <pbx/loop.h>

#include "db/db.h"
#include "db/location.h"
#include "util/strmap.h"
#include "util/uuid.h"

/* Back-off before rewriting a batch PostgreSQL refused or missed. */
#define RETRY_MS 1000
/* At shutdown, give up on an unreachable database after this many. */
#define CLOSE_ATTEMPTS 3

struct pending {
	bool del;
	char *ext;                    /* (owned) */
	struct pbx_binding row;       /* (owned strings) snapshot */
};

struct pbx_location {
	struct pbx_db *db;            /* (borrowed) */
	char *node;
	unsigned flush_ms;
	struct pbx_strmap *aors;      /* ext -> struct pbx_aor (owned) */
	struct pbx_strmap *pending;   /* binding id -> struct pending */
	struct pbx_timer *timer;
	bool timer_armed;
	bool inflight;                /* one batch at a time keeps order */
	bool closing;
	unsigned close_attempts;
	unsigned count;
};

struct batch {
	struct pbx_location *loc;
	struct pending **v;
	size_t n;
};

static void binding_clear(struct pbx_binding *b)
{
	free(b->contact);
	free(b->path);
	free(b->user_agent);
	free(b->call_id);
	b->contact = b->path = b->user_agent = b->call_id = NULL;
}

static void pending_free(void *p)
{
	struct pending *pd = p;

	if (!pd)
		return;
	binding_clear(&pd->row);
	free(pd->ext);
	free(pd);
}

static void aor_free(void *p)
{
	struct pbx_aor *aor = p;

	if (!aor)
		return;
	while (aor->bindings) {
		struct pbx_binding *b = aor->bindings;

		aor->bindings = b->next;
		binding_clear(b);
		free(b);
	}
	free(aor->ext);
	free(aor);
}

/* Strings may be NULL; a failed copy of a non-NULL one is ENOMEM. */
static int dup_opt(char **dst, const char *src)
{
	char *s = NULL;

	if (src && !(s = strdup(src)))
		return ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int binding_copy(struct pbx_binding *dst,
			const struct pbx_binding *src)
{
	*dst = *src;
	dst->next = NULL;
	dst->contact = dst->path = dst->user_agent = dst->call_id = NULL;
	if (dup_opt(&dst->contact, src->contact) ||
	    dup_opt(&dst->path, src->path) ||
	    dup_opt(&dst->user_agent, src->user_agent) ||
	    dup_opt(&dst->call_id, src->call_id)) {
		binding_clear(dst);
		return ENOMEM;
	}
	return 0;
}


int pbx_location_alloc(struct pbx_location **locp, struct pbx_db *db,
		       const char *node, unsigned flush_ms)
{
	struct pbx_location *loc;
	int err;

	if (!locp || !db || !node)
		return EINVAL;
	loc = calloc(1, sizeof(*loc));
	if (!loc)
		return ENOMEM;
	loc->db = db;
	loc->flush_ms = flush_ms ? flush_ms : 10;
	loc->node = strdup(node);
	err = loc->node ? 0 : ENOMEM;
	if (!err)
		err = pbx_strmap_alloc(&loc->aors, aor_free);
	if (!err)
		err = pbx_strmap_alloc(&loc->pending, pending_free);
	if (!err)
		err = pbx_timer_alloc(&loc->timer);
	if (err)
		pbx_location_free(loc);
	else
		*locp = loc;
	return err;
}

void pbx_location_free(struct pbx_location *loc)
{
	if (!loc)
		return;
	pbx_timer_free(loc->timer);
	pbx_strmap_free(loc->pending);
	pbx_strmap_free(loc->aors);
	free(loc->node);
	free(loc);
}

struct pbx_aor *pbx_location_find(struct pbx_location *loc,
				  const char *ext)
{
	return pbx_strmap_get(loc->aors, ext);
}

unsigned pbx_location_count(const struct pbx_location *loc)
{
	return loc->count;
}

/* ---- Write-behind ---- */

static void flush(struct pbx_location *loc);

static void on_flush_timer(void *arg)
{
	struct pbx_location *loc = arg;

	loc->timer_armed = false;
	flush(loc);
}

static void arm(struct pbx_location *loc, unsigned ms)
{
	if (loc->timer_armed || loc->inflight || loc->closing)
		return;
	if (!pbx_timer_start(loc->timer, ms, on_flush_timer, loc))
		loc->timer_armed = true;
}

/* Record the latest state of <b> (or its removal) for the next flush. */
static void queue_write(struct pbx_location *loc, const char *ext,
			const struct pbx_binding *b, bool del)
{
	struct pending *pd = calloc(1, sizeof(*pd));
	int err = pd ? 0 : ENOMEM;

	/* A delete needs only the id; an upsert a full snapshot. */
	if (!err && !(pd->ext = strdup(ext)))
		err = ENOMEM;
	if (!err && del)
		memcpy(pd->row.id, b->id, sizeof(b->id));
	else if (!err)
		err = binding_copy(&pd->row, b);
	if (!err)
		err = pbx_strmap_put(loc->pending, b->id, pd, NULL);
	if (err) {
		PBX_ERR("out of memory: binding %s of %s not written",
			b->id, ext);
		pending_free(pd);
		return;
	}
	pd->del = del;
	arm(loc, loc->flush_ms);
}

/* Growable text buffer for PostgreSQL array literals. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_putc(struct sbuf *sb, char c)
{
	if (sb->oom)
		return;
	if (sb->len + 2 > sb->cap) {
		size_t cap = sb->cap ? sb->cap * 2 : 256;
		char *p = realloc(sb->p, cap);

		if (!p) {
			sb->oom = true;
			return;
		}
		sb->p = p;
		sb->cap = cap;
	}
	sb->p[sb->len++] = c;
	sb->p[sb->len] = '\0';
}

/* Append one element to an array literal: quoted and escaped, or the
 * bare word NULL for a missing value.
 */
static void sb_elem(struct sbuf *sb, const char *s)
{
	sb_putc(sb, sb->len ? ',' : '{');
	if (!s) {
		for (const char *n = "NULL"; *n; n++)
			sb_putc(sb, *n);
		return;
	}
	sb_putc(sb, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_putc(sb, '\\');
		sb_putc(sb, *s);
	}
	sb_putc(sb, '"');
}

static void sb_elem_num(struct sbuf *sb, long long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lld", v);
	sb_elem(sb, num);
}

static const char *sb_close(struct sbuf *sb)
{
	if (!sb->len) {
		sb_putc(sb, '{');
	}
	sb_putc(sb, '}');
	return sb->oom ? NULL : sb->p;
}

enum { A_DEL, A_ID, A_EXT, A_CONTACT, A_Q, A_EXP, A_IP, A_PORT, A_TR,
       A_PATH, A_UA, A_CID, A_CSEQ, A_REG, A_COUNT };

static const char flush_sql[] =
	"WITH gone AS (DELETE FROM registrations"
	" WHERE id = ANY($1::uuid[]))"
	" INSERT INTO registrations (id, extension, contact, q, expires_at,"
	" source_ip, source_port, transport, path, user_agent, call_id,"
	" cseq, node, registered_at, updated_at)"
	" SELECT u.id, u.ext, u.contact, u.q, to_timestamp(u.exp),"
	" u.ip::inet, u.port, u.tr, u.path, u.ua, u.cid, u.cseq, $15,"
	" to_timestamp(u.reg), now()"
	" FROM unnest($2::uuid[], $3::text[], $4::text[], $5::real[],"
	" $6::bigint[], $7::text[], $8::int[], $9::text[], $10::text[],"
	" $11::text[], $12::text[], $13::bigint[], $14::bigint[])"
	" AS u(id, ext, contact, q, exp, ip, port, tr, path, ua, cid, cseq,"
	" reg)"
	/* A user deleted meanwhile has no row to bind to: skip it. */
	" JOIN users ON users.extension = u.ext"
	" ON CONFLICT (id) DO UPDATE SET contact = EXCLUDED.contact,"
	" q = EXCLUDED.q, expires_at = EXCLUDED.expires_at,"
	" source_ip = EXCLUDED.source_ip,"
	" source_port = EXCLUDED.source_port,"
	" transport = EXCLUDED.transport, path = EXCLUDED.path,"
	" user_agent = EXCLUDED.user_agent, call_id = EXCLUDED.call_id,"
	" cseq = EXCLUDED.cseq, node = EXCLUDED.node, updated_at = now()";

static int flush_run(PGconn *conn, void *arg)
{
	struct batch *bt = arg;
	struct sbuf a[A_COUNT];
	const char *params[A_COUNT + 1];
	PGresult *res;
	int err = 0;

	memset(a, 0, sizeof(a));
	for (size_t i = 0; i < bt->n; i++) {
		const struct pending *pd = bt->v[i];
		const struct pbx_binding *r = &pd->row;
		char q[16];

		if (pd->del) {
			sb_elem(&a[A_DEL], r->id);
			continue;
		}
		snprintf(q, sizeof(q), "%u.%03u", r->q / 1000, r->q % 1000);
		sb_elem(&a[A_ID], r->id);
		sb_elem(&a[A_EXT], pd->ext);
		sb_elem(&a[A_CONTACT], r->contact);
		sb_elem(&a[A_Q], q);
		sb_elem_num(&a[A_EXP], (long long)r->expires);
		sb_elem(&a[A_IP], r->source_ip[0] ? r->source_ip : NULL);
		sb_elem_num(&a[A_PORT], r->source_port);
		sb_elem(&a[A_TR], r->transport[0] ? r->transport : NULL);
		sb_elem(&a[A_PATH], r->path);
		sb_elem(&a[A_UA], r->user_agent);
		sb_elem(&a[A_CID], r->call_id);
		sb_elem_num(&a[A_CSEQ], r->cseq);
		sb_elem_num(&a[A_REG], (long long)r->registered_at);
	}
	for (int i = 0; i < A_COUNT; i++) {
		params[i] = sb_close(&a[i]);
		if (!params[i])
			err = ENOMEM;
	}
	params[A_COUNT] = bt->loc->node;
	if (!err) {
		res = PQexecParams(conn, flush_sql, A_COUNT + 1, NULL,
				   params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			PBX_WARN("writing %zu registration changes: %s",
				 bt->n, PQresultErrorMessage(res));
			err = EIO;
		}
		PQclear(res);
	}
	for (int i = 0; i < A_COUNT; i++)
		free(a[i].p);
	return err;
}

static void flush_done(int err, void *arg)
{
	struct batch *bt = arg;
	struct pbx_location *loc = bt->loc;

	loc->inflight = false;
	for (size_t i = 0; i < bt->n; i++) {
		struct pending *pd = bt->v[i];

		/* Put a failed change back unless a newer one replaced it. */
		if (err && !pbx_strmap_get(loc->pending, pd->row.id) &&
		    !pbx_strmap_put(loc->pending, pd->row.id, pd, NULL))
			continue;
		pending_free(pd);
	}
	free(bt->v);
	free(bt);

	if (!pbx_strmap_count(loc->pending))
		return;
	if (loc->closing) {
		if (err && ++loc->close_attempts >= CLOSE_ATTEMPTS) {
			PBX_ERR("PostgreSQL unreachable at shutdown: %zu "
				"registration changes not written",
				pbx_strmap_count(loc->pending));
			return;
		}
		flush(loc);
		return;
	}
	arm(loc, err ? RETRY_MS : loc->flush_ms);
}

static int take_pending(const char *key, void *value, void *arg)
{
	struct batch *bt = arg;

	bt->v[bt->n++] = value;
	return 0;
}

/* Hand everything pending to a worker as one batch. */
static void flush(struct pbx_location *loc)
{
	size_t n = pbx_strmap_count(loc->pending);
	struct batch *bt;

	if (!n || loc->inflight)
		return;
	bt = calloc(1, sizeof(*bt));
	if (!bt || !(bt->v = calloc(n, sizeof(*bt->v)))) {
		free(bt);
		arm(loc, RETRY_MS);
		return;
	}
	bt->loc = loc;
	pbx_strmap_walk(loc->pending, take_pending, bt);
	/* The batch owns the entries now: empty the map without freeing. */
	for (size_t i = 0; i < bt->n; i++)
		pbx_strmap_del(loc->pending, bt->v[i]->row.id);

	if (pbx_db_submit(loc->db, flush_run, flush_done, bt)) {
		flush_done(EIO, bt);
		return;
	}
	loc->inflight = true;
}

void pbx_location_close(struct pbx_location *loc)
{
	if (!loc)
		return;
	loc->closing = true;
	pbx_timer_cancel(loc->timer);
	loc->timer_armed = false;
	flush(loc);
}

/* ---- Bindings ---- */

static int fill(struct pbx_binding *b, const struct pbx_binding_info *in)
{
	if (dup_opt(&b->contact, in->contact) ||
	    dup_opt(&b->path, in->path) ||
	    dup_opt(&b->user_agent, in->user_agent) ||
	    dup_opt(&b->call_id, in->call_id))
		return ENOMEM;
	b->cseq = in->cseq;
	b->q = in->q;
	b->expires = in->expires;
	snprintf(b->source_ip, sizeof(b->source_ip), "%s",
		 in->source_ip ? in->source_ip : "");
	b->source_port = in->source_port;
	snprintf(b->transport, sizeof(b->transport), "%s",
		 in->transport ? in->transport : "");
	return 0;
}

static struct pbx_aor *aor_get(struct pbx_location *loc, const char *ext)
{
	struct pbx_aor *aor = pbx_strmap_get(loc->aors, ext);

	if (aor)
		return aor;
	aor = calloc(1, sizeof(*aor));
	if (!aor)
		return NULL;
	aor->ext = strdup(ext);
	if (!aor->ext || pbx_strmap_put(loc->aors, ext, aor, NULL)) {
		aor_free(aor);
		return NULL;
	}
	return aor;
}

int pbx_location_save(struct pbx_location *loc, const char *ext,
		      struct pbx_binding *b,
		      const struct pbx_binding_info *info)
{
	struct pbx_aor *aor;
	int err;

	if (!loc || !ext || !info || !info->contact || !info->call_id)
		return EINVAL;
	if (b) {
		err = fill(b, info);
		if (!err)
			queue_write(loc, ext, b, false);
		return err;
	}
	aor = aor_get(loc, ext);
	b = aor ? calloc(1, sizeof(*b)) : NULL;
	if (!b)
		return ENOMEM;
	pbx_uuid_new(b->id);
	b->registered_at = time(NULL);
	err = fill(b, info);
	if (err) {
		binding_clear(b);
		free(b);
		if (!aor->count)
			aor_free(pbx_strmap_del(loc->aors, ext));
		return err;
	}
	b->next = aor->bindings;
	aor->bindings = b;
	aor->count++;
	loc->count++;
	queue_write(loc, ext, b, false);
	return 0;
}

/* Unlink and free <b>; <queue> says whether the row must be deleted. */
static void unlink_binding(struct pbx_location *loc, struct pbx_aor *aor,
			   struct pbx_binding *b, bool queue)
{
	struct pbx_binding **bp;

	for (bp = &aor->bindings; *bp && *bp != b; bp = &(*bp)->next)
		;
	if (!*bp)
		return;
	*bp = b->next;
	aor->count--;
	loc->count--;
	if (queue)
		queue_write(loc, aor->ext, b, true);
	binding_clear(b);
	free(b);
	if (!aor->count)
		aor_free(pbx_strmap_del(loc->aors, aor->ext));
}

void pbx_location_remove(struct pbx_location *loc, struct pbx_aor *aor,
			 struct pbx_binding *b)
{
	unlink_binding(loc, aor, b, true);
}

void pbx_location_remove_aor(struct pbx_location *loc, const char *ext)
{
	struct pbx_aor *aor = pbx_strmap_get(loc->aors, ext);

	while (aor && aor->bindings) {
		struct pbx_aor *keep = aor->count > 1 ? aor : NULL;

		unlink_binding(loc, aor, aor->bindings, true);
		aor = keep;
	}
}

void pbx_location_notify(struct pbx_location *loc, const char *payload)
{
	char op[8], ext[32], id[PBX_BINDING_ID_LEN + 1];
	struct pbx_aor *aor;

	if (!payload || sscanf(payload, "%7s %31s %36s", op, ext, id) != 3 ||
	    strcmp(op, "DELETE")) {
		PBX_WARN("ignoring malformed pbx_registrations "
			 "notification '%s'", payload ? payload : "");
		return;
	}
	aor = pbx_strmap_get(loc->aors, ext);
	for (struct pbx_binding *b = aor ? aor->bindings : NULL; b;
	     b = b->next) {
		if (!strcmp(b->id, id)) {
			PBX_INFO("binding %s of %s removed by an "
				 "administrator", id, ext);
			/* The row is gone already; also drop any pending
			 * upsert that would bring it back.
			 */
			pending_free(pbx_strmap_del(loc->pending, id));
			unlink_binding(loc, aor, b, false);
			return;
		}
	}
}

struct purge {
	struct pbx_location *loc;
	time_t now;
	unsigned removed;
};

static int purge_aor(const char *key, void *value, void *arg)
{
	struct purge *p = arg;
	struct pbx_aor *aor = value;
	struct pbx_binding *b = aor->bindings;

	/* unlink_binding may free <aor> along with its last binding. */
	while (b) {
		struct pbx_binding *next = b->next;
		bool last = aor->count == 1;

		if (b->expires <= p->now) {
			PBX_DEBUG("binding %s of %s expired", b->contact,
				  aor->ext);
			unlink_binding(p->loc, aor, b, true);
			p->removed++;
			if (last)
				break;
		}
		b = next;
	}
	return 0;
}

unsigned pbx_location_purge(struct pbx_location *loc, time_t now)
{
	struct purge p = { loc, now, 0 };

	pbx_strmap_walk(loc->aors, purge_aor, &p);
	return p.removed;
}

/* ---- Start-up ---- */

int pbx_location_load(struct pbx_location *loc, PGconn *conn,
		      char *err, size_t errsz)
{
	PGresult *res;
	int e = 0;

	/* Rows that expired while pbxd was down are garbage. */
	PQclear(PQexec(conn, "SET pbx.origin = 'registrar'"));
	PQclear(PQexec(conn, "DELETE FROM registrations"
			     " WHERE expires_at <= now()"));
	res = PQexec(conn,
		"SELECT id, extension, contact, (q * 1000)::int,"
		" extract(epoch FROM expires_at)::bigint,"
		" coalesce(host(source_ip), ''), coalesce(source_port, 0),"
		" coalesce(transport, ''), path, user_agent, call_id, cseq,"
		" extract(epoch FROM registered_at)::bigint"
		" FROM registrations ORDER BY registered_at");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errsz, "loading registrations: %s",
			 PQresultErrorMessage(res));
		PQclear(res);
		return EIO;
	}
	for (int i = 0; !e && i < PQntuples(res); i++) {
		struct pbx_aor *aor = aor_get(loc, PQgetvalue(res, i, 1));
		struct pbx_binding *b = aor ? calloc(1, sizeof(*b)) : NULL;
		struct pbx_binding_info in = {
			.contact = PQgetvalue(res, i, 2),
			.q = (unsigned)strtoul(PQgetvalue(res, i, 3), NULL, 10),
			.expires = strtoll(PQgetvalue(res, i, 4), NULL, 10),
			.source_ip = PQgetvalue(res, i, 5),
			.source_port = (unsigned)strtoul(PQgetvalue(res, i, 6),
							 NULL, 10),
			.transport = PQgetvalue(res, i, 7),
			.path = PQgetisnull(res, i, 8) ? NULL :
				PQgetvalue(res, i, 8),
			.user_agent = PQgetisnull(res, i, 9) ? NULL :
				      PQgetvalue(res, i, 9),
			.call_id = PQgetvalue(res, i, 10),
			.cseq = (uint32_t)strtoul(PQgetvalue(res, i, 11),
						  NULL, 10),
		};

		if (!b || fill(b, &in)) {
			if (b)
				binding_clear(b);
			free(b);
			e = ENOMEM;
			break;
		}
		snprintf(b->id, sizeof(b->id), "%s", PQgetvalue(res, i, 0));
		b->registered_at = strtoll(PQgetvalue(res, i, 12), NULL, 10);
		b->next = aor->bindings;
		aor->bindings = b;
		aor->count++;
		loc->count++;
	}
	if (e)
		snprintf(err, errsz, "loading registrations: out of memory");
	PQclear(res);
	return e;
}

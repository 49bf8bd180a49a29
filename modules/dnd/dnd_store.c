/* dnd/dnd_store.c - the extensions with do-not-disturb on: a sorted
 * array in memory, owned by the loop (every dial to a user looks here),
 * and its record, table dnd (sql/0003_dnd.sql). Loaded at init, then
 * kept in step by the table's notifications (sql/0004_dnd_notify.sql),
 * whoever made the change; the dialplan's changes are written behind,
 * one statement at a time so they land in the order they were made.
 */
#define PBX_LOG_TAG "dnd"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pbx/db.h>
#include <pbx/log.h>

#include "dnd.h"

/* The schema's extension format: 2 to 10 digits. */
#define EXT_MAX 10

typedef char ext_t[EXT_MAX + 1];

/* A dialplan change waiting to be written. */
struct write {
	struct write *next;
	ext_t ext;
	bool on;
};

static struct {
	ext_t *v;                 /* (ref) sorted by strcmp() */
	size_t c, cap;
	uint64_t refused;         /* dials refused since start-up */
	struct write *wq;         /* (ref) FIFO; the head is in flight
				   * when <writing> */
	struct write **wq_tail;
	bool writing;
} st = { .wq_tail = &st.wq };

static const char sql_on[] =
	"INSERT INTO dnd (extension) VALUES ($1)"
	" ON CONFLICT (extension) DO NOTHING";
static const char sql_off[] = "DELETE FROM dnd WHERE extension = $1";

bool dnd_ext_valid(const char *ext)
{
	size_t len = ext ? strlen(ext) : 0;

	if (len < 2 || len > EXT_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (ext[i] < '0' || ext[i] > '9')
			return false;
	}
	return true;
}

/* ---- The set ---- */

/* Index of <ext> in the set, or where it would go; <*found> says which. */
static size_t find(const char *ext, bool *found)
{
	size_t lo = 0, hi = st.c;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(st.v[mid], ext);

		if (cmp == 0) {
			*found = true;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

bool dnd_store_get(const char *ext)
{
	bool found;

	if (!dnd_ext_valid(ext))
		return false;
	find(ext, &found);
	return found;
}

int dnd_store_set(const char *ext, bool on)
{
	bool found;
	size_t i;

	if (!dnd_ext_valid(ext))
		return EINVAL;
	i = find(ext, &found);
	if (found == on)
		return 0;
	if (!on) {
		st.c--;
		memmove(&st.v[i], &st.v[i + 1], (st.c - i) * sizeof(*st.v));
		return 0;
	}
	if (st.c == st.cap) {
		size_t cap = st.cap ? st.cap * 2 : 16;
		ext_t *v = realloc(st.v, cap * sizeof(*v));

		if (!v)
			return ENOMEM;
		st.v = v;
		st.cap = cap;
	}
	memmove(&st.v[i + 1], &st.v[i], (st.c - i) * sizeof(*st.v));
	memcpy(st.v[i], ext, strlen(ext) + 1);
	st.c++;
	return 0;
}

/* ---- Writing behind ---- */

static void write_next(void);

static void write_pop(void)
{
	struct write *w = st.wq;

	st.wq = w->next;
	if (!st.wq)
		st.wq_tail = &st.wq;
	free(w);
}

static void write_done(int err, const struct pbx_db_res *res, void *arg)
{
	struct write *w = arg;

	if (err == ENOENT) {
		/* The foreign key: no such user. Memory follows. */
		PBX_WARN("dnd.set(%s): no user has that extension", w->ext);
		dnd_store_set(w->ext, false);
	} else if (err) {
		PBX_WARN("do-not-disturb %s for %s not saved: %s",
			 w->on ? "on" : "off", w->ext, strerror(err));
	}
	st.writing = false;
	write_pop();
	write_next();
}

/* Start the write at the head of the queue, unless one is running. */
static void write_next(void)
{
	while (st.wq && !st.writing) {
		struct write *w = st.wq;
		const char *params[1] = { w->ext };
		int err;

		err = pbx_db_query(w->on ? sql_on : sql_off, 1, params,
				   write_done, w);
		if (!err) {
			st.writing = true;
			return;
		}
		PBX_WARN("do-not-disturb %s for %s not saved: %s",
			 w->on ? "on" : "off", w->ext, strerror(err));
		write_pop();
	}
}

int dnd_store_save(const char *ext, bool on)
{
	struct write *w;
	int err;

	if (!dnd_ext_valid(ext))
		return EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	err = dnd_store_set(ext, on);
	if (err) {
		free(w);
		return err;
	}
	memcpy(w->ext, ext, strlen(ext) + 1);
	w->on = on;
	*st.wq_tail = w;
	st.wq_tail = &w->next;
	write_next();
	return 0;
}

/* ---- Changes made elsewhere ---- */

/* True while a write of this node's for <ext> is queued or in flight:
 * the state it writes is the newest, whatever notifications say
 * meanwhile (including the echo of an older write).
 */
static bool write_pending(const char *ext)
{
	for (const struct write *w = st.wq; w; w = w->next) {
		if (!strcmp(w->ext, ext))
			return true;
	}
	return false;
}

void dnd_store_note(const char *payload, void *arg)
{
	const char *ext = strchr(payload, ' ');
	bool on;

	(void)arg;
	if (!ext || !dnd_ext_valid(++ext)) {
		PBX_WARN("pbx_dnd notification \"%s\" not understood",
			 payload);
		return;
	}
	on = strncmp(payload, "DELETE ", 7) != 0;
	if (write_pending(ext) || dnd_store_get(ext) == on)
		return;
	if (dnd_store_set(ext, on) == 0)
		PBX_INFO("do-not-disturb %s for %s (changed elsewhere)",
			 on ? "on" : "off", ext);
}

/* Replace the set with the rows of <res>, keeping what this node's
 * pending writes say. 0 or ENOMEM (the set is then unchanged).
 */
static int set_replace(const struct pbx_db_res *res)
{
	ext_t *keep_v = st.v;
	size_t keep_c = st.c, keep_cap = st.cap;
	unsigned n = pbx_db_res_rows(res);
	int err = 0;

	st.v = NULL;
	st.c = st.cap = 0;
	for (unsigned i = 0; i < n && !err; i++) {
		const char *ext = pbx_db_res_value(res, i, 0);

		/* The schema allows no other extension; skip, not fail. */
		if (dnd_ext_valid(ext))
			err = dnd_store_set(ext, true);
	}
	for (const struct write *w = st.wq; w && !err; w = w->next)
		err = dnd_store_set(w->ext, w->on);
	if (err) {
		free(st.v);
		st.v = keep_v;
		st.c = keep_c;
		st.cap = keep_cap;
		return err;
	}
	free(keep_v);
	return 0;
}

static void reload_done(int err, const struct pbx_db_res *res, void *arg)
{
	(void)arg;
	if (!err)
		err = set_replace(res);
	if (err)
		PBX_WARN("do-not-disturb list not reloaded: %s",
			 strerror(err));
	else
		PBX_INFO("do-not-disturb list reloaded: on for %zu "
			 "extension(s)", st.c);
}

void dnd_store_reload(void *arg)
{
	int err;

	(void)arg;
	err = pbx_db_query("SELECT extension FROM dnd", 0, NULL,
			   reload_done, NULL);
	if (err)
		PBX_WARN("do-not-disturb list not reloaded: %s",
			 strerror(err));
}

/* ---- Life and listing ---- */

int dnd_store_open(void)
{
	struct pbx_db_res *res;
	int err;

	err = pbx_db_query_sync(&res, "SELECT extension FROM dnd", 0, NULL);
	if (err) {
		PBX_ERR("cannot load the do-not-disturb list: %s",
			strerror(err));
		return err;
	}
	err = set_replace(res);
	pbx_db_res_free(res);
	if (err) {
		dnd_store_close();
		return err;
	}
	PBX_INFO("do not disturb is on for %zu extension(s)", st.c);
	return 0;
}

void dnd_store_close(void)
{
	while (st.wq)
		write_pop();
	st.writing = false;
	free(st.v);
	st.v = NULL;
	st.c = st.cap = 0;
	st.refused = 0;
}

void dnd_store_count_refused(void)
{
	st.refused++;
}

json_t *dnd_store_json(void)
{
	json_t *exts = json_array();

	for (size_t i = 0; exts && i < st.c; i++) {
		if (json_array_append_new(exts, json_string(st.v[i]))) {
			json_decref(exts);
			exts = NULL;
		}
	}
	return exts ? json_pack("{s:I, s:o}", "refused",
				(json_int_t)st.refused, "enabled", exts)
		    : NULL;
}

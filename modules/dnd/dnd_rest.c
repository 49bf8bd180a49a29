/* dnd/dnd_rest.c - /api/v1/dnd. The record is table dnd, read and
 * written here on the request's connection (REST threads may block);
 * after a write commits, the loop's set is told through pbx_loop_call(),
 * so the next dial sees it. GET /api/v1/dnd shows the loop's set itself.
 */
#define PBX_LOG_TAG "dnd"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include <pbx/db.h>
#include <pbx/loop.h>
#include <pbx/rest.h>

#include "dnd.h"

/* RFC 3339 UTC with milliseconds, like the core's timestamps. */
#define SINCE_SQL \
	"to_char(d.since AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* One row (the user exists) with "since" (NULL: DND off), else none. */
static const char sql_get[] =
	"SELECT " SINCE_SQL " FROM users u"
	" LEFT JOIN dnd d ON d.extension = u.extension"
	" WHERE u.extension = $1";

/* The same reply shape after the write, in one statement so the user
 * cannot vanish between the check and the write.
 */
static const char sql_on[] =
	"WITH u AS (SELECT extension FROM users WHERE extension = $1),"
	" d AS (INSERT INTO dnd (extension) SELECT extension FROM u"
	"  ON CONFLICT (extension) DO UPDATE SET since = dnd.since"
	"  RETURNING since)"
	" SELECT " SINCE_SQL " FROM u, d";
static const char sql_off[] =
	"WITH u AS (SELECT extension FROM users WHERE extension = $1),"
	" d AS (DELETE FROM dnd WHERE extension IN (SELECT extension"
	"  FROM u))"
	" SELECT NULL FROM u";

/* PUTs one at a time, from the write to the loop's update, so two
 * concurrent ones cannot leave memory and table disagreeing. REST
 * threads only: the loop never waits for it.
 */
static pthread_mutex_t put_lock = PTHREAD_MUTEX_INITIALIZER;

struct loop_job {
	const char *ext;          /* (borrowed) */
	bool on;
	int err;
	json_t *summary;          /* (ref) */
};

static void summary_on_loop(void *arg)
{
	struct loop_job *job = arg;

	job->summary = dnd_store_json();
}

static void set_on_loop(void *arg)
{
	struct loop_job *job = arg;

	job->err = dnd_store_set(job->ext, job->on);
}

static int no_user(struct pbx_rest_req *req, const char *ext)
{
	return pbx_rest_error(req, 404, "not_found", NULL,
			      "no user with extension %.32s", ext);
}

/* Reply {"extension","enabled","since"} from the one row of <res>, or
 * 404 when there is none. <res> is freed.
 */
static int reply_row(struct pbx_rest_req *req, const char *ext,
		     struct pbx_db_res *res)
{
	const char *since = pbx_db_res_value(res, 0, 0);
	int err;

	if (pbx_db_res_rows(res) == 0)
		err = no_user(req, ext);
	else
		err = pbx_rest_reply(req, 200, json_pack(
			"{s:s, s:b, s:o}", "extension", ext,
			"enabled", since != NULL,
			"since", since ? json_string(since) : json_null()));
	pbx_db_res_free(res);
	return err;
}

int dnd_rest_summary(struct pbx_rest_req *req)
{
	struct loop_job job = { 0 };

	if (pbx_loop_call(summary_on_loop, &job))
		return pbx_rest_error(req, 503, "unavailable", NULL,
				      "pbxd is stopping");
	if (!job.summary)
		return ENOMEM;
	return pbx_rest_reply(req, 200, job.summary);
}

int dnd_rest_get(struct pbx_rest_req *req)
{
	const char *ext = pbx_rest_param(req, 0);
	struct pbx_db_res *res;
	int err;

	if (!dnd_ext_valid(ext))
		return no_user(req, ext);
	err = pbx_rest_db_query(req, &res, sql_get, 1, &ext);
	if (err)
		return err;
	return reply_row(req, ext, res);
}

int dnd_rest_put(struct pbx_rest_req *req)
{
	const char *ext = pbx_rest_param(req, 0);
	json_t *body = pbx_rest_body(req), *enabled;
	struct loop_job job = { .ext = ext };
	struct pbx_db_res *res;
	const char *key;
	json_t *v;
	int err;

	if (!dnd_ext_valid(ext))
		return no_user(req, ext);
	json_object_foreach(body, key, v) {
		if (strcmp(key, "enabled"))
			return pbx_rest_error(req, 400, "invalid", key,
					      "unknown field '%.64s'", key);
	}
	enabled = json_object_get(body, "enabled");
	if (!json_is_boolean(enabled))
		return pbx_rest_error(req, 400, "invalid", "enabled",
				      "enabled must be true or false");
	job.on = json_is_true(enabled);

	pthread_mutex_lock(&put_lock);
	err = pbx_rest_db_query(req, &res, job.on ? sql_on : sql_off, 1,
				&ext);
	/* Committed: now the loop. If it no longer takes requests, pbxd
	 * is stopping and the table, which was written, is what counts.
	 */
	if (!err && pbx_db_res_rows(res) > 0 &&
	    !pbx_loop_call(set_on_loop, &job) && job.err) {
		pbx_db_res_free(res);
		err = job.err;
	}
	pthread_mutex_unlock(&put_lock);
	if (err)
		return err;
	return reply_row(req, ext, res);
}

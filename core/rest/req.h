/* rest/req.h - one REST request as handlers see it, and the replies they
 * build. Private to core/rest/: handlers never see libmicrohttpd, so the
 * server is the only file that speaks MHD_*.
 */
#ifndef PBX_REST_REQ_H
#define PBX_REST_REQ_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include <pbx/rest.h>

struct MHD_Connection;
struct MHD_Daemon;
struct pbx_db_pool;

/* Largest request body we accept (413 beyond). */
#define PBX_REST_BODY_MAX (64 * 1024)

/* Path segments a route may capture ("{extension}", "{id}"), and the
 * longest one: nothing we address by path is longer than a uuid, so a
 * longer segment cannot name a resource and simply does not match.
 */
#define PBX_REST_PARAMS_MAX 2
#define PBX_REST_PARAM_LEN  64

/* Reply headers a handler may add (Location, Allow, WWW-Authenticate). */
#define PBX_REST_HEADERS_MAX 4

/* The running server; settings are copied at start so a configuration
 * reload cannot pull strings from under a handler.
 */
struct pbx_rest {
	struct MHD_Daemon *mhd;       /* (ref) */
	struct pbx_db_pool *pool;     /* (borrowed) outlives the server */
	char *realm;                  /* (ref) sip.realm, for HA1 */
	char *node;                   /* (ref) node.name, for health */
	struct timespec started;      /* CLOCK_MONOTONIC at start */
};

struct pbx_rest_hdr {
	const char *name;             /* (borrowed) a string literal */
	char *value;                  /* (ref) */
};

struct pbx_rest_req {
	struct pbx_rest *rest;        /* (borrowed) */
	struct MHD_Connection *conn;  /* (borrowed) for arguments, headers */
	const char *method;           /* (borrowed) */
	const char *path;             /* (borrowed) decoded, without query */
	char params[PBX_REST_PARAMS_MAX][PBX_REST_PARAM_LEN];
	json_t *body;                 /* (ref) JSON object, routes with body */
	PGconn *pg;                   /* (borrowed) from the pool, lazily */

	unsigned status;              /* reply status; 0 = none yet */
	json_t *reply;                /* (ref) reply body; NULL = empty */
	struct pbx_rest_hdr hdrs[PBX_REST_HEADERS_MAX];
	size_t hdrc;
};

/* Route handlers (pbx_rest_handler_h) and the replies they build,
 * pbx_rest_reply() and pbx_rest_error(), are declared in <pbx/rest.h>:
 * core and module routes share them. Handlers run on a libmicrohttpd
 * thread and may block on PostgreSQL.
 */

/* ---- reply.c ---- */

/* Add reply header <name> (a string literal, kept borrowed) with a
 * formatted value. Returns 0, ENOMEM or ENOSPC past PBX_REST_HEADERS_MAX.
 */
int pbx_rest_header(struct pbx_rest_req *req, const char *name,
		    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* <s> as a JSON string, with every non-ASCII byte shown as '?' when <s>
 * is not UTF-8: messages quote what clients sent ("%FF" in a path must
 * get its 404), and a phone's User-Agent may reach a SQL_ASCII database.
 * NULL only when out of memory (or <s> is NULL).
 */
json_t *pbx_rest_string_lossy(const char *s);

/* Replace any reply with the error that errno <err> stands for: the one
 * table from errno to HTTP status. Returns 0 or ENOMEM.
 */
int pbx_rest_reply_errno(struct pbx_rest_req *req, int err);

/* Drop the reply body and headers (before replacing a reply). */
void pbx_rest_reply_clear(struct pbx_rest_req *req);

/* ---- server.c (pbx_rest_req_arg() is in <pbx/rest.h>) ---- */

/* Request header <name> (case-insensitive), borrowed, or NULL. */
const char *pbx_rest_req_header(const struct pbx_rest_req *req,
				const char *name);

/* ---- query.c ---- */

/* Run <sql> with <n> text parameters <values> (NULL entries are SQL NULL)
 * on the request's pooled connection, taking one on first use. Returns 0
 * with the result in <*resp> (caller PQclear()s it); EIO if PostgreSQL
 * is unreachable; EEXIST for a unique violation; EPROTO for any other
 * database error (logged).
 */
int pbx_rest_query(struct pbx_rest_req *req, PGresult **resp,
		   const char *sql, int n, const char *const *values);

/* Give the request's connection back to the pool, if it has one. */
void pbx_rest_query_release(struct pbx_rest_req *req);

/* Column <col> of row <row> as JSON: a string, or null when SQL NULL. */
json_t *pbx_rest_query_str(const PGresult *res, int row, int col);

/* Column <col> as a JSON integer, or null when SQL NULL. */
json_t *pbx_rest_query_int(const PGresult *res, int row, int col);

/* Column <col> ("t"/"f") as a JSON boolean. */
json_t *pbx_rest_query_bool(const PGresult *res, int row, int col);

/* Column <col> as a JSON real, or null when SQL NULL. */
json_t *pbx_rest_query_real(const PGresult *res, int row, int col);

/* Turns row <row> of a result into a JSON object (NULL if out of memory). */
typedef json_t *(pbx_rest_row_json_h)(const PGresult *res, int row);

/* Every row of <res> through <row>, as a JSON array; NULL when out of
 * memory.
 */
json_t *pbx_rest_query_rows(const PGresult *res, pbx_rest_row_json_h *row);

/* Most filter parameters a paginated listing may take. */
#define PBX_REST_PAGE_PARAMS_MAX 5

/* Reply 200 {"items","total","limit","offset"} for one page of a list:
 * <count_sql> counts the rows with the <n> filter <values>; <page_sql>
 * takes the same values, then LIMIT as $n+1 and OFFSET as $n+2. Errors
 * as pbx_rest_query().
 */
int pbx_rest_query_page(struct pbx_rest_req *req, const char *count_sql,
			const char *page_sql, int n,
			const char *const *values, unsigned limit,
			unsigned offset, pbx_rest_row_json_h *row);

/* SQL expression rendering timestamptz column <c> as RFC 3339 UTC text
 * with milliseconds (so a PATCH visibly moves updated_at), independent
 * of the session's TimeZone.
 */
#define PBX_REST_SQL_TIME(c) \
	"to_char(" c " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

#endif

/* rest/server.c - the libmicrohttpd side of the REST API: daemon set-up,
 * request bodies, the checks every route shares (route, token, JSON
 * body), dispatch to handlers and sending their replies. The handlers
 * themselves never see MHD_* (see req.h).
 */
#define PBX_LOG_TAG "rest"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include <pbx/log.h>

#include "rest/auth.h"
#include "rest/req.h"
#include "rest/rest.h"
#include "rest/router.h"

/* Seconds an idle or stalled client may hold a connection. */
#define CONN_TIMEOUT 30

/* One request in progress: the handlers' view plus the body as it
 * arrives. Allocated on the first call of the access handler, freed
 * when libmicrohttpd reports the request completed.
 */
struct pending {
	struct pbx_rest_req req;
	char *body;               /* (ref) bytes received, not terminated */
	size_t len;
	size_t cap;
	bool too_large;           /* over PBX_REST_BODY_MAX: discarding */
	bool oom;                 /* could not grow <body> */
};

/* What we send when even building an error reply failed. */
static const char reply_oom[] =
	"{\"error\": {\"code\": \"internal\", \"message\": "
	"\"out of memory\"}}\n";

const char *pbx_rest_req_arg(const struct pbx_rest_req *req,
			     const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
					   name);
}

const char *pbx_rest_req_header(const struct pbx_rest_req *req,
				const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* ---- Request bodies ---- */

static void body_append(struct pending *p, const char *data, size_t len)
{
	size_t cap;
	char *nb;

	if (p->too_large || p->oom)
		return;
	if (len > PBX_REST_BODY_MAX - p->len) {
		/* Keep reading (and dropping) the rest: replying before
		 * the client has sent everything makes some clients see
		 * a reset instead of our 413.
		 */
		p->too_large = true;
		return;
	}
	if (p->len + len > p->cap) {
		cap = p->cap ? p->cap : 1024;
		while (cap < p->len + len)
			cap *= 2;
		nb = realloc(p->body, cap);
		if (!nb) {
			p->oom = true;
			return;
		}
		p->body = nb;
		p->cap = cap;
	}
	memcpy(p->body + p->len, data, len);
	p->len += len;
}

/* "application/json", optionally with parameters ("; charset=utf-8"). */
static bool is_json_type(const char *ct)
{
	size_t n = sizeof("application/json") - 1;

	if (!ct)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return !strncasecmp(ct, "application/json", n) &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' ||
		ct[n] == '\t');
}

static const char *json_type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_ARRAY:  return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL:   return "a number";
	case JSON_TRUE:
	case JSON_FALSE:  return "a boolean";
	case JSON_NULL:   return "null";
	default:          return "an object";
	}
}

/* Parse the body of a route that takes one into req->body. Returns 0,
 * EINVAL after replying what was wrong with it, or ENOMEM.
 */
static int body_parse(struct pending *p)
{
	struct pbx_rest_req *req = &p->req;
	const char *ct;
	json_error_t jerr;
	json_t *j;
	int err;

	if (p->len == 0) {
		err = pbx_rest_error(req, 400, "bad_request", NULL,
				     "the request body is empty; expected "
				     "a JSON object");
		return err ? err : EINVAL;
	}

	ct = pbx_rest_req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!is_json_type(ct)) {
		err = pbx_rest_error(req, 415, "unsupported_media_type",
				     NULL, "Content-Type must be "
				     "application/json, not '%.64s'",
				     ct ? ct : "(none)");
		return err ? err : EINVAL;
	}

	/* Duplicate keys are refused: which of two "password"s would win
	 * is not something an administrator should have to guess.
	 */
	j = json_loadb(p->body, p->len,
			JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!j) {
		err = pbx_rest_error(req, 400, "bad_json", NULL,
				     "malformed JSON at line %d, column %d: "
				     "%s", jerr.line, jerr.column, jerr.text);
		return err ? err : EINVAL;
	}
	if (!json_is_object(j)) {
		err = pbx_rest_error(req, 400, "bad_request", NULL,
				     "the request body must be a JSON "
				     "object, not %s", json_type_name(j));
		json_decref(j);
		return err ? err : EINVAL;
	}
	req->body = j;
	return 0;
}

/* ---- Dispatch ---- */

/* Route, authenticate, parse and run the handler; afterwards req holds
 * the reply (status 0 only if even an error reply could not be built).
 */
static void dispatch(struct pending *p)
{
	struct pbx_rest_req *req = &p->req;
	struct pbx_rest_route route;
	char allow[64];
	int err;

	if (p->too_large) {
		pbx_rest_error(req, 413, "too_large", NULL, "the request "
			       "body exceeds %d bytes", PBX_REST_BODY_MAX);
		return;
	}
	if (p->oom) {
		err = ENOMEM;
		goto fail;
	}

	err = pbx_rest_route_find(req->method, req->path, &route,
				  req->params, allow, sizeof(allow));
	if (err == ENOENT) {
		pbx_rest_error(req, 404, "not_found", NULL,
			       "no endpoint at %.200s", req->path);
		return;
	}
	if (err == EOPNOTSUPP) {
		if (!pbx_rest_error(req, 405, "method_not_allowed", NULL,
				    "%.16s is not allowed on %.200s "
				    "(allowed: %s)", req->method, req->path,
				    allow))
			pbx_rest_header(req, MHD_HTTP_HEADER_ALLOW, "%s",
					allow);
		return;
	}

	if (!(route.flags & PBX_REST_PUBLIC)) {
		err = pbx_rest_auth_check(req);
		if (err == EACCES)
			return;
		if (err)
			goto fail;
	}
	if (route.flags & PBX_REST_BODY) {
		err = body_parse(p);
		if (err == EINVAL)
			return;
		if (err)
			goto fail;
	}

	err = route.h(req);
	if (!err && !req->status) {
		PBX_ERR("%s %s: handler gave no reply", req->method,
			req->path);
		err = EPROTO;
	}
 fail:
	if (err)
		pbx_rest_reply_errno(req, err);
}

static enum MHD_Result send_reply(struct pending *p)
{
	struct pbx_rest_req *req = &p->req;
	struct MHD_Response *resp;
	unsigned status = req->status;
	enum MHD_Result ret;
	char *text = NULL;
	size_t len = 0, i;
	/* One line per reply. Only q is a real, and six digits keep a
	 * float4 0.7 from printing as 0.69999998807907104.
	 */
	const size_t flags = JSON_REAL_PRECISION(6);

	/* The reply is built: give the connection back now rather than
	 * when a slow client has finished reading.
	 */
	pbx_rest_query_release(req);

	if (req->reply) {
		len = json_dumpb(req->reply, NULL, 0, flags);
		text = len ? malloc(len + 1) : NULL;
		if (text && json_dumpb(req->reply, text, len, flags) == len) {
			text[len++] = '\n';
		} else {
			free(text);
			text = NULL;
		}
	}

	if (req->reply && !text) {
		status = 500;
		resp = MHD_create_response_from_buffer(
			sizeof(reply_oom) - 1, (void *)reply_oom,
			MHD_RESPMEM_PERSISTENT);
	} else if (status == 0) {
		status = 500;
		resp = MHD_create_response_from_buffer(
			sizeof(reply_oom) - 1, (void *)reply_oom,
			MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer(
			len, text, text ? MHD_RESPMEM_MUST_FREE
					: MHD_RESPMEM_PERSISTENT);
	}
	if (!resp) {
		free(text);
		return MHD_NO;
	}

	if (status != 204)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					"application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"no-store");
	if (status == req->status) {
		for (i = 0; i < req->hdrc; i++)
			MHD_add_response_header(resp, req->hdrs[i].name,
						req->hdrs[i].value);
	}

	if (status >= 500)
		PBX_WARN("%s %s -> %u", req->method, req->path, status);
	else
		PBX_DEBUG("%s %s -> %u", req->method, req->path, status);

	ret = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result access_h(void *cls, struct MHD_Connection *conn,
				const char *url, const char *method,
				const char *version, const char *upload_data,
				size_t *upload_data_size, void **con_cls)
{
	struct pending *p = *con_cls;
	const char *cl;

	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return MHD_NO;
		p->req.rest = cls;
		p->req.conn = conn;
		p->req.method = method;
		p->req.path = url;
		*con_cls = p;

		/* A body declared too large is refused before we read
		 * it; clients that announce one (curl does past 1 KiB)
		 * send "Expect: 100-continue" and wait for our verdict.
		 */
		cl = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND,
			MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > PBX_REST_BODY_MAX) {
			p->too_large = true;
			dispatch(p);
			return send_reply(p);
		}
		return MHD_YES;
	}

	if (*upload_data_size) {
		body_append(p, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}

	dispatch(p);
	return send_reply(p);
}

static void completed_h(void *cls, struct MHD_Connection *conn,
			void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct pending *p = *con_cls;

	if (!p)
		return;
	pbx_rest_query_release(&p->req);
	json_decref(p->req.body);
	pbx_rest_reply_clear(&p->req);
	free(p->body);
	free(p);
	*con_cls = NULL;
}

/* ---- Daemon ---- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t len;

	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	PBX_WARN("libmicrohttpd: %s", line);
}

/* rest.address as a socket address; "[::1]" is accepted for "::1". */
static int make_addr(const char *text, unsigned port,
		     struct sockaddr_storage *ss, bool *v6p)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len = text ? strlen(text) : 0;

	memset(ss, 0, sizeof(*ss));
	if (len >= 2 && len < sizeof(buf) && text[0] == '[' &&
	    text[len - 1] == ']') {
		memcpy(buf, text + 1, len - 2);
		buf[len - 2] = '\0';
	} else {
		snprintf(buf, sizeof(buf), "%s", text ? text : "");
	}

	if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*v6p = false;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*v6p = true;
		return 0;
	}
	return EINVAL;
}

/* libmicrohttpd does not say why it could not start; the usual reason
 * is the bind, so try that ourselves to name the errno in the log and
 * return it.
 */
static int bind_errno(const struct sockaddr_storage *ss, bool v6)
{
	int fd, err = 0, one = 1;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss,
		 v6 ? sizeof(struct sockaddr_in6)
		    : sizeof(struct sockaddr_in)))
		err = errno;
	close(fd);
	return err;
}

int pbx_rest_start(struct pbx_rest **restp, const struct pbx_cfg *cfg,
		   struct pbx_db_pool *pool)
{
	struct MHD_OptionItem pool_opt[] = {
		{MHD_OPTION_END, 0, NULL},
		{MHD_OPTION_END, 0, NULL},
	};
	struct sockaddr_storage ss;
	struct pbx_rest *rest;
	unsigned flags;
	bool v6;
	int err;

	if (!restp || !cfg)
		return EINVAL;
	*restp = NULL;

	if (cfg->rest_port == 0) {
		PBX_INFO("REST API off (rest.port = 0)");
		return 0;
	}
	if (!pool)
		return EINVAL;
	if (cfg->rest_port > 65535 ||
	    make_addr(cfg->rest_address, cfg->rest_port, &ss, &v6)) {
		PBX_ERR("rest.address '%s' port %u is not an IPv4 or IPv6 "
			"address and port", cfg->rest_address,
			cfg->rest_port);
		return EINVAL;
	}

	/* jansson seeds its hash function on first use; do it here, once,
	 * rather than racing on it from several handler threads.
	 */
	json_object_seed(0);

	rest = calloc(1, sizeof(*rest));
	if (!rest)
		return ENOMEM;
	rest->pool = pool;
	rest->realm = strdup(cfg->sip_realm ? cfg->sip_realm : "");
	rest->node = strdup(cfg->node_name ? cfg->node_name : "");
	clock_gettime(CLOCK_MONOTONIC, &rest->started);
	if (!rest->realm || !rest->node) {
		err = ENOMEM;
		goto out;
	}

	/* A pool of polling threads, each running handlers to the end:
	 * handlers block on PostgreSQL, so rest.threads is also how many
	 * requests can wait on the database at once.
	 */
	/* MHD warns about a pool of one thread (or zero): leave the
	 * option out then, and the polling thread serves alone.
	 */
	if (cfg->rest_threads > 1) {
		pool_opt[0].option = MHD_OPTION_THREAD_POOL_SIZE;
		pool_opt[0].value = (intptr_t)cfg->rest_threads;
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
		MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
	rest->mhd = MHD_start_daemon(
		flags, (uint16_t)cfg->rest_port, NULL, NULL, access_h, rest,
		/* First, or MHD writes its own option errors to stderr. */
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, rest,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_ARRAY, pool_opt,
		MHD_OPTION_NOTIFY_COMPLETED, completed_h, rest,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT,
		MHD_OPTION_END);
	if (!rest->mhd) {
		err = bind_errno(&ss, v6);
		if (err != EADDRINUSE && err != EADDRNOTAVAIL &&
		    err != EACCES)
			err = EINVAL;
		PBX_ERR("cannot serve REST on %s port %u: %s",
			cfg->rest_address, cfg->rest_port,
			err == EINVAL ? "libmicrohttpd failed to start"
				      : strerror(err));
		goto out;
	}
	PBX_INFO("REST API on %s port %u (%u threads)", cfg->rest_address,
		 cfg->rest_port, cfg->rest_threads ? cfg->rest_threads : 1);
	err = 0;

 out:
	if (err)
		pbx_rest_stop(rest);
	else
		*restp = rest;
	return err;
}

void pbx_rest_stop(struct pbx_rest *rest)
{
	if (!rest)
		return;
	if (rest->mhd)
		MHD_stop_daemon(rest->mhd);
	free(rest->realm);
	free(rest->node);
	free(rest);
}

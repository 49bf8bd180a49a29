/* rest/reply.c - building replies: JSON bodies, the error shape every
 * endpoint shares, extra headers, and the one table mapping errno to an
 * HTTP status. Sending them is server.c's job.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/req.h"

/* Handlers reply with their own precise message wherever they know
 * more; this table covers what reaches the server as a bare errno.
 */
static const struct {
	int err;
	unsigned status;
	const char *code;
	const char *message;
} errtab[] = {
	{EINVAL,     400, "bad_request", "the request is invalid"},
	{ENOENT,     404, "not_found",   "no such resource"},
	{EEXIST,     409, "conflict",    "the resource already exists"},
	{EMSGSIZE,   413, "too_large",   "the request body is too large"},
	{EIO,        503, "unavailable", "database unreachable"},
	{ENOMEM,     500, "internal",    "out of memory"},
	{EPROTO,     500, "internal",    "database error (see the pbxd log)"},
};

void pbx_rest_reply_clear(struct pbx_rest_req *req)
{
	size_t i;

	json_decref(req->reply);
	req->reply = NULL;
	for (i = 0; i < req->hdrc; i++)
		free(req->hdrs[i].value);
	req->hdrc = 0;
	req->status = 0;
}

int pbx_rest_reply(struct pbx_rest_req *req, unsigned status, json_t *body)
{
	if (!body && status != 204)
		return ENOMEM;

	json_decref(req->reply);
	req->reply = body;
	req->status = status;
	return 0;
}

json_t *pbx_rest_string_lossy(const char *s)
{
	json_t *j = json_string(s);
	char *copy;
	size_t i;

	if (j || !s)
		return j;
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (i = 0; copy[i]; i++) {
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	}
	j = json_string(copy);
	free(copy);
	return j;
}

int pbx_rest_error(struct pbx_rest_req *req, unsigned status,
		   const char *code, const char *field, const char *fmt, ...)
{
	char msg[512];
	json_t *err, *body;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	err = json_pack("{s:s, s:o}", "code", code,
			"message", pbx_rest_string_lossy(msg));
	if (err && field &&
	    json_object_set_new(err, "field", pbx_rest_string_lossy(field))) {
		json_decref(err);
		err = NULL;
	}
	body = err ? json_pack("{s:o}", "error", err) : NULL;

	/* An error replaces whatever was being built, headers included
	 * (a Location must not survive on a 500).
	 */
	pbx_rest_reply_clear(req);
	return pbx_rest_reply(req, status, body);
}

int pbx_rest_header(struct pbx_rest_req *req, const char *name,
		    const char *fmt, ...)
{
	va_list ap;
	char *value;
	int len;

	if (req->hdrc >= PBX_REST_HEADERS_MAX)
		return ENOSPC;

	va_start(ap, fmt);
	len = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (len < 0)
		return ENOMEM;

	req->hdrs[req->hdrc].name = name;
	req->hdrs[req->hdrc].value = value;
	req->hdrc++;
	return 0;
}

int pbx_rest_reply_errno(struct pbx_rest_req *req, int err)
{
	size_t i;

	for (i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++) {
		if (errtab[i].err == err)
			return pbx_rest_error(req, errtab[i].status,
					      errtab[i].code, NULL, "%s",
					      errtab[i].message);
	}
	return pbx_rest_error(req, 500, "internal", NULL,
			      "internal error: %s", strerror(err));
}

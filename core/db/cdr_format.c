/* db/cdr_format.c - the CDR record format: one JSON line per call,
 * both the spool file's line and the batch INSERT's input. Owns UTF-8
 * repair, RFC 3339 times and the field checks; pure functions, any
 * thread. Writing and replaying those lines is cdr.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "db/cdr.h"
#include "db/cdr_format.h"
#include "util/uuid.h"

#define SPOOL_VERSION 1           /* "v" of a spool line */

/* ---- Field checks and UTF-8 ---- */

/* Length of the well-formed UTF-8 sequence starting at <p> (<len> bytes
 * available), or 0 if it is not one.
 */
static size_t utf8_seq(const unsigned char *p, size_t len)
{
	unsigned c = p[0], cp;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;         /* continuation byte, C0/C1, F5..FF */
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool pbx_cdr_utf8_is_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (!s)
		return false;
	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);

		if (!n)
			return false;
		i += n;
	}
	return true;
}

/* <s> as a JSON string, every byte of an ill-formed sequence replaced by
 * U+FFFD: a phone's display name may be Latin-1, and one such byte must
 * not cost the whole record (jansson and jsonb refuse invalid UTF-8).
 * JSON null for NULL; NULL only when out of memory.
 */
static json_t *jstr(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i = 0, o = 0;
	json_t *j;
	char *buf;

	if (!s)
		return json_null();
	len = strlen(s);
	if (pbx_cdr_utf8_is_valid(s, len))
		return json_stringn(s, len);
	buf = malloc(len * 3 + 1);
	if (!buf)
		return NULL;
	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);

		if (n) {
			memcpy(buf + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	j = json_stringn(buf, o);
	free(buf);
	return j;
}

static const char *const dispositions[] = {
	"answered", "busy", "noanswer", "unavailable", "failed", "cancelled",
	NULL
};
static const char *const sides[] = { "caller", "callee", "pbx", NULL };

static bool in_list(const char *s, const char *const *list)
{
	for (; s && *list; list++) {
		if (!strcmp(s, *list))
			return true;
	}
	return false;
}

bool pbx_cdr_disposition_is_valid(const char *s)
{
	return in_list(s, dispositions);
}

bool pbx_cdr_hangup_side_is_valid(const char *s)
{
	return in_list(s, sides);
}

/* ---- Times (RFC 3339) ---- */

/* Days from 1970-01-01 to the proleptic Gregorian <y>-<m>-<d>
 * (H. Hinnant's days_from_civil), independent of time_t and TZ.
 */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static unsigned month_days(int y, int m)
{
	static const unsigned char mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return mdays[m - 1] + (m == 2 && leap);
}

int pbx_cdr_time_format(int64_t us, char *buf, size_t size)
{
	int64_t secs = us / 1000000, frac = us % 1000000;
	struct tm tm;
	time_t t;
	int n;

	if (!buf)
		return EINVAL;
	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	t = (time_t)secs;
	if (!gmtime_r(&t, &tm) || tm.tm_year < 1 - 1900 ||
	    tm.tm_year > 9999 - 1900)
		return EINVAL;
	n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		     tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
	return n > 0 && (size_t)n < size ? 0 : EINVAL;
}

/* Read exactly <n> decimal digits at <*pp> into <*v>. */
static bool digits(const char **pp, int n, int *v)
{
	const char *p = *pp;

	*v = 0;
	for (int i = 0; i < n; i++, p++) {
		if (*p < '0' || *p > '9')
			return false;
		*v = *v * 10 + (*p - '0');
	}
	*pp = p;
	return true;
}

int pbx_cdr_time_parse(const char *s, int64_t *usp)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, nfrac = 0;
	int64_t frac = 0, t;
	const char *p = s;

	if (!s || !usp)
		return EINVAL;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d))
		return EINVAL;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return EINVAL;
	p++;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) ||
	    *p++ != ':' || !digits(&p, 2, &sec))
		return EINVAL;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (nfrac < 6) {
				frac = frac * 10 + (*p - '0');
				nfrac++;
			}
		}
		for (; nfrac < 6; nfrac++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (!digits(&p, 2, &oh) || *p++ != ':' ||
		    !digits(&p, 2, &om) || oh > 23 || om > 59)
			return EINVAL;
	} else {
		return EINVAL;
	}
	/* RFC 3339 5.6 allows second 60 (a leap second); like PostgreSQL
	 * we count it as the first second of the next minute.
	 */
	if (*p || y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    (unsigned)d > month_days(y, mo) || h > 23 || mi > 59 || sec > 60)
		return EINVAL;
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
	*usp = t * 1000000 + frac;
	return 0;
}

/* ---- Records ---- */

/* The legs as a JSON array; NULL when out of memory. */
static json_t *legs_json(const struct pbx_cdr *cdr)
{
	json_t *legs = json_array();

	for (size_t i = 0; legs && i < cdr->nlegs; i++) {
		const struct pbx_cdr_leg *l = &cdr->legs[i];
		json_t *o = json_pack("{s:o, s:o, s:i, s:b}",
				      "target", jstr(l->target),
				      "uri", jstr(l->uri),
				      "status", l->status,
				      "answered", l->answered);

		if (json_array_append_new(legs, o)) {
			json_decref(legs);
			legs = NULL;
		}
	}
	return legs;
}

int pbx_cdr_to_json(const struct pbx_cdr *cdr, const char *node,
		    char **linep)
{
	char start[PBX_CDR_TIME_LEN], answer[PBX_CDR_TIME_LEN];
	char end[PBX_CDR_TIME_LEN], id[PBX_CDR_ID_LEN + 1];
	int64_t s, a, e;
	json_t *o;
	char *line;

	if (!cdr || !node || !linep || !pbx_uuid_is_valid(cdr->call_id) ||
	    !pbx_cdr_disposition_is_valid(cdr->disposition) ||
	    !pbx_cdr_hangup_side_is_valid(cdr->hangup_side) ||
	    cdr->start_us <= 0 || cdr->end_us <= 0 ||
	    cdr->answer_us < 0 || (cdr->nlegs && !cdr->legs))
		return EINVAL;

	/* Wall-clock times may step (NTP) during a call: keep the record
	 * consistent rather than lose it to the table's checks.
	 */
	s = cdr->start_us;
	e = cdr->end_us < s ? s : cdr->end_us;
	a = cdr->answer_us;
	if (a && a < s)
		a = s;
	if (a > e)
		a = e;
	if (pbx_cdr_time_format(s, start, sizeof(start)) ||
	    pbx_cdr_time_format(e, end, sizeof(end)) ||
	    (a && pbx_cdr_time_format(a, answer, sizeof(answer))))
		return EINVAL;
	for (size_t i = 0; i <= PBX_CDR_ID_LEN; i++) {
		char c = cdr->call_id[i];

		id[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
	}

	o = json_pack("{s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o,"
		      " s:s, s:I, s:I, s:s, s:i, s:s}",
		      "v", SPOOL_VERSION,
		      "call_id", id,
		      "sip_call_id", jstr(cdr->sip_call_id),
		      "node", jstr(node),
		      "caller_number", jstr(cdr->caller_number),
		      "caller_name", jstr(cdr->caller_name),
		      "destination", jstr(cdr->destination),
		      "legs", legs_json(cdr),
		      "start_time", start,
		      "answer_time", a ? json_string(answer) : json_null(),
		      "end_time", end,
		      "duration", (json_int_t)((e - s) / 1000000),
		      "billsec", (json_int_t)(a ? (e - a) / 1000000 : 0),
		      "disposition", cdr->disposition,
		      "hangup_cause", cdr->hangup_cause,
		      "hangup_side", cdr->hangup_side);
	if (!o)
		return ENOMEM;
	/* Compact output escapes control characters, so a line never
	 * holds a newline of its own.
	 */
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!line)
		return ENOMEM;
	*linep = line;
	return 0;
}

/* ---- Reading lines back ---- */

void pbx_cdr_line_call_id(const char *line, char id[PBX_CDR_ID_LEN + 1])
{
	json_t *o = json_loads(line, 0, NULL);
	const char *s = json_string_value(json_object_get(o, "call_id"));

	snprintf(id, PBX_CDR_ID_LEN + 1, "%s", s ? s : "?");
	json_decref(o);
}

bool pbx_cdr_line_is_record(const char *line)
{
	json_t *o = json_loads(line, 0, NULL);
	bool ok = json_is_string(json_object_get(o, "call_id"));

	json_decref(o);
	return ok;
}

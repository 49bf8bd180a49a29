/* tests/unit/check_cdr.c - the CDR writer (db/cdr.c): the record format
 * (JSON line, odd bytes, RFC 3339 times) and the spool, with the real
 * loop and db workers. The database cases run only when
 * PBX_TEST_CONNINFO names a PostgreSQL with the cdrs table (the
 * integration test t_cdr_writer.sh points it at the sandbox); a small
 * TCP proxy in front of it plays the outage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>

#include <pbx/log.h>
#include <pbx/loop.h>

#include "db/cdr.h"
#include "db/db.h"
#include "sip/sip.h"
#include "util/uuid.h"

/* 2024-05-01T09:30:00Z */
#define T0 INT64_C(1714555800000000)

static struct pbx_timer *stop_timer;
static char tmpdir[256];
static char node[64];

/* ---- Helpers ---- */

static const struct pbx_cdr_leg legs2[] = {
	{ "1002", "sip:1002@192.0.2.10:5062", 486, false },
	{ "1003", "sip:1003@192.0.2.11", 200, true },
};

/* An answered call of 65.75 s, 60.5 s of them talking. */
static void cdr_make(struct pbx_cdr *c)
{
	memset(c, 0, sizeof(*c));
	pbx_uuid_new(c->call_id);
	c->sip_call_id = "a84b4c76e66710@pc33.example.com";
	c->caller_number = "1001";
	c->caller_name = "Alice";
	c->destination = "600";
	c->legs = legs2;
	c->nlegs = 2;
	c->start_us = T0;
	c->answer_us = T0 + 5250000;
	c->end_us = T0 + 65750000;
	c->disposition = "answered";
	c->hangup_cause = 0;
	c->hangup_side = "caller";
}

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	ck_assert_msg(j != NULL, "not JSON (%s): %s", jerr.text, text);
	return j;
}

static const char *jget_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	ck_assert_msg(s != NULL, "no string '%s'", key);
	return s;
}

static json_int_t jget_int(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_integer(v), "no integer '%s'", key);
	return json_integer_value(v);
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

static void on_break(void *arg)
{
	pbx_sip_loop_break();
}

static void run_loop(unsigned ms)
{
	ck_assert_int_eq(pbx_timer_start(stop_timer, ms, on_break, NULL), 0);
	pbx_sip_loop_run();
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

typedef bool (cond_h)(struct pbx_cdr_writer *w, void *arg);

/* Run the loop until <cond> holds, at most <ms>. */
static bool wait_for(struct pbx_cdr_writer *w, cond_h *cond, void *arg,
		     unsigned ms)
{
	uint64_t end = now_ms() + ms;

	while (!cond(w, arg) && now_ms() < end)
		run_loop(20);
	return cond(w, arg);
}

static bool spooled_at_least(struct pbx_cdr_writer *w, void *arg)
{
	struct pbx_cdr_stats st;

	pbx_cdr_writer_stats(w, &st);
	return st.spooled >= *(uint64_t *)arg;
}

static bool written_at_least(struct pbx_cdr_writer *w, void *arg)
{
	struct pbx_cdr_stats st;

	pbx_cdr_writer_stats(w, &st);
	return st.written >= *(uint64_t *)arg;
}

static bool replayed_at_least(struct pbx_cdr_writer *w, void *arg)
{
	struct pbx_cdr_stats st;

	pbx_cdr_writer_stats(w, &st);
	return st.replayed >= *(uint64_t *)arg && !st.spooling;
}

/* <dir>/<name> in one of a few static buffers (<dir> may be one). */
static char *path_in(const char *dir, const char *name)
{
	static char buf[4][512];
	static int i;
	char d[320];

	snprintf(d, sizeof(d), "%s", dir);
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", d, name);
	return buf[i];
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The lines of <path> (without newlines) into <v>; returns the count. */
static size_t read_lines(const char *path, char **v, size_t max)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;

	ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0 && n < max) {
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		v[n++] = strdup(line);
	}
	free(line);
	fclose(f);
	return n;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot create %s", path);
	fputs(text, f);
	fclose(f);
}

/* A loopback TCP port nothing listens on. */
static int closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void setup_loop(void)
{
	char tmpl[200];

	/* PBX_TEST_LOG=1 shows the writer's own account of a case. */
	pbx_log_level_cur = getenv("PBX_TEST_LOG") ? PBX_LOG_DEBUG
						   : PBX_LOG_ERR;
	ck_assert_int_eq(pbx_sip_loop_init(), 0);
	ck_assert_int_eq(pbx_timer_alloc(&stop_timer), 0);
	snprintf(tmpl, sizeof(tmpl), "%s/check_cdr.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);
	snprintf(node, sizeof(node), "check-cdr-%d", (int)getpid());
}

static void teardown_loop(void)
{
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	pbx_timer_free(stop_timer);
	pbx_sip_loop_deinit();
}

/* Shut down as pbxd does: flush, let the workers drain, free. */
static void writer_stop(struct pbx_cdr_writer *w, struct pbx_db *db)
{
	pbx_cdr_writer_flush(w);
	pbx_db_free(db);
	pbx_cdr_writer_free(w);
}

/* ---- Record format ---- */

START_TEST(cdr_1_1_json_fields)
{
	struct pbx_cdr c;
	json_t *o, *legs;
	char *line;

	cdr_make(&c);
	ck_assert_int_eq(pbx_cdr_to_json(&c, "node-a", &line), 0);
	ck_assert_ptr_null(strchr(line, '\n'));
	o = load(line);
	ck_assert_int_eq(jget_int(o, "v"), 1);
	ck_assert_str_eq(jget_str(o, "call_id"), c.call_id);
	ck_assert_str_eq(jget_str(o, "sip_call_id"), c.sip_call_id);
	ck_assert_str_eq(jget_str(o, "node"), "node-a");
	ck_assert_str_eq(jget_str(o, "caller_number"), "1001");
	ck_assert_str_eq(jget_str(o, "caller_name"), "Alice");
	ck_assert_str_eq(jget_str(o, "destination"), "600");
	ck_assert_str_eq(jget_str(o, "start_time"),
			 "2024-05-01T09:30:00.000000Z");
	ck_assert_str_eq(jget_str(o, "answer_time"),
			 "2024-05-01T09:30:05.250000Z");
	ck_assert_str_eq(jget_str(o, "end_time"),
			 "2024-05-01T09:31:05.750000Z");
	ck_assert_int_eq(jget_int(o, "duration"), 65);
	ck_assert_int_eq(jget_int(o, "billsec"), 60);
	ck_assert_str_eq(jget_str(o, "disposition"), "answered");
	ck_assert_int_eq(jget_int(o, "hangup_cause"), 0);
	ck_assert_str_eq(jget_str(o, "hangup_side"), "caller");

	legs = json_object_get(o, "legs");
	ck_assert(json_is_array(legs));
	ck_assert_int_eq(json_array_size(legs), 2);
	ck_assert_str_eq(jget_str(json_array_get(legs, 0), "target"), "1002");
	ck_assert_str_eq(jget_str(json_array_get(legs, 0), "uri"),
			 "sip:1002@192.0.2.10:5062");
	ck_assert_int_eq(jget_int(json_array_get(legs, 0), "status"), 486);
	ck_assert(json_is_false(json_object_get(json_array_get(legs, 0),
						"answered")));
	ck_assert(json_is_true(json_object_get(json_array_get(legs, 1),
					       "answered")));
	ck_assert_int_eq(json_object_size(o), 16);
	json_decref(o);
	free(line);
}
END_TEST

/* Quotes, backslashes, control characters and bytes that are not UTF-8
 * (Latin-1, overlong, surrogate, cut sequence) leave one valid line.
 */
START_TEST(cdr_1_2_json_odd_bytes)
{
	static const struct pbx_cdr_leg odd[] = {
		{ "say \"hi\"\\now", "sip:x@h;a=\"b\"\n\t\x01", 603, false },
		{ "caf\xe9", "\xc0\xaf\xed\xa0\x80\xe2\x82", 0, false },
		{ NULL, NULL, 0, false },
	};
	struct pbx_cdr c;
	json_t *o, *legs, *l;
	char *line;

	cdr_make(&c);
	c.legs = odd;
	c.nlegs = 3;
	c.caller_name = "M\xfcller \"Q\" \xf0\x9f\x93\x9e";
	c.sip_call_id = NULL;
	ck_assert_int_eq(pbx_cdr_to_json(&c, "n", &line), 0);
	ck_assert_ptr_null(strchr(line, '\n'));
	ck_assert(pbx_cdr_utf8_is_valid(line, strlen(line)));
	o = load(line);
	ck_assert_str_eq(jget_str(o, "caller_name"),
			 "M\xef\xbf\xbdller \"Q\" \xf0\x9f\x93\x9e");
	ck_assert(json_is_null(json_object_get(o, "sip_call_id")));
	legs = json_object_get(o, "legs");
	l = json_array_get(legs, 0);
	ck_assert_str_eq(jget_str(l, "target"), "say \"hi\"\\now");
	ck_assert_str_eq(jget_str(l, "uri"), "sip:x@h;a=\"b\"\n\t\x01");
	l = json_array_get(legs, 1);
	ck_assert_str_eq(jget_str(l, "target"), "caf\xef\xbf\xbd");
	/* One U+FFFD per byte of each ill-formed sequence. */
	ck_assert_str_eq(jget_str(l, "uri"),
			 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	l = json_array_get(legs, 2);
	ck_assert(json_is_null(json_object_get(l, "target")));
	ck_assert(json_is_null(json_object_get(l, "uri")));
	json_decref(o);
	free(line);
}
END_TEST

START_TEST(cdr_1_3_json_unanswered_clamped)
{
	struct pbx_cdr c;
	json_t *o;
	char *line;

	cdr_make(&c);
	c.answer_us = 0;
	c.nlegs = 0;
	c.legs = NULL;
	c.disposition = "busy";
	c.hangup_cause = 486;
	c.hangup_side = "callee";
	ck_assert_int_eq(pbx_cdr_to_json(&c, "n", &line), 0);
	o = load(line);
	ck_assert(json_is_null(json_object_get(o, "answer_time")));
	ck_assert_int_eq(jget_int(o, "billsec"), 0);
	ck_assert_int_eq(jget_int(o, "hangup_cause"), 486);
	ck_assert_int_eq(json_array_size(json_object_get(o, "legs")), 0);
	json_decref(o);
	free(line);

	/* The clock stepped back during the call. */
	c.end_us = T0 - 3000000;
	c.answer_us = T0 + 1000000;
	ck_assert_int_eq(pbx_cdr_to_json(&c, "n", &line), 0);
	o = load(line);
	ck_assert_str_eq(jget_str(o, "end_time"), jget_str(o, "start_time"));
	ck_assert_str_eq(jget_str(o, "answer_time"),
			 jget_str(o, "start_time"));
	ck_assert_int_eq(jget_int(o, "duration"), 0);
	json_decref(o);
	free(line);
}
END_TEST

START_TEST(cdr_1_4_json_refuses_malformed)
{
	struct pbx_cdr c;
	char *line = NULL;

	cdr_make(&c);
	c.call_id[8] = 'x';
	ck_assert_int_eq(pbx_cdr_to_json(&c, "n", &line), EINVAL);
	cdr_make(&c);
	c.call_id[0] = '\0';
	ck_assert_int_eq(pbx_cdr_to_json(&c, "n", &line), EINVAL);
	cdr_make(&c);
	c.disposition = "ringing";
	ck_assert_int_eq(pbx_cdr_to_json(&c, "n", &line), EINVAL);
	cdr_make(&c);
	c.disposition = NULL;
	ck_assert_int_eq(pbx_cdr_to_json(&c, "n", &line), EINVAL);
	cdr_make(&c);
	c.hangup_side = "nobody";
	ck_assert_int_eq(pbx_cdr_to_json(&c, "n", &line), EINVAL);
	cdr_make(&c);
	c.start_us = 0;
	ck_assert_int_eq(pbx_cdr_to_json(&c, "n", &line), EINVAL);
	cdr_make(&c);
	c.end_us = 0;
	ck_assert_int_eq(pbx_cdr_to_json(&c, "n", &line), EINVAL);
	cdr_make(&c);
	c.legs = NULL;
	ck_assert_int_eq(pbx_cdr_to_json(&c, "n", &line), EINVAL);
	cdr_make(&c);
	ck_assert_int_eq(pbx_cdr_to_json(&c, NULL, &line), EINVAL);
	ck_assert_ptr_null(line);

	/* Upper-case hex is a uuid too, stored in lower case. */
	cdr_make(&c);
	memcpy(c.call_id, "0A1B2C3D-4E5F-4A6B-8C7D-8E9FA0B1C2D3", 37);
	ck_assert_int_eq(pbx_cdr_to_json(&c, "n", &line), 0);
	ck_assert_ptr_nonnull(strstr(line, "\"0a1b2c3d-4e5f-4a6b-8c7d-"
					   "8e9fa0b1c2d3\""));
	free(line);
}
END_TEST

START_TEST(cdr_2_1_time_format)
{
	char buf[PBX_CDR_TIME_LEN];

	ck_assert_int_eq(pbx_cdr_time_format(0, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000000Z");
	ck_assert_int_eq(pbx_cdr_time_format(T0 + 250000, buf, sizeof(buf)),
			 0);
	ck_assert_str_eq(buf, "2024-05-01T09:30:00.250000Z");
	ck_assert_int_eq(pbx_cdr_time_format(-1, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "1969-12-31T23:59:59.999999Z");
	/* 2024 is a leap year. */
	ck_assert_int_eq(pbx_cdr_time_format(INT64_C(1709164800000001), buf,
					     sizeof(buf)), 0);
	ck_assert_str_eq(buf, "2024-02-29T00:00:00.000001Z");
	ck_assert_int_eq(pbx_cdr_time_format(INT64_C(253402300800000000),
					     buf, sizeof(buf)), EINVAL);
	ck_assert_int_eq(pbx_cdr_time_format(0, buf, 10), EINVAL);
}
END_TEST

START_TEST(cdr_2_2_time_parse_valid)
{
	static const struct {
		const char *s;
		int64_t us;
	} ok[] = {
		{ "2024-05-01T09:30:00Z", T0 },
		{ "2024-05-01t09:30:00z", T0 },
		{ "2024-05-01 09:30:00Z", T0 },
		{ "2024-05-01T09:30:00.25Z", T0 + 250000 },
		{ "2024-05-01T09:30:00.123456789Z", T0 + 123456 },
		{ "2024-05-01T11:30:00+02:00", T0 },
		{ "2024-05-01T04:00:00-05:30", T0 },
		{ "2024-02-29T00:00:00.000001Z", INT64_C(1709164800000001) },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1969-12-31T23:59:59.999999Z", -1 },
		{ "2016-12-31T23:59:60Z", INT64_C(1483228800000000) },
		{ "0001-01-01T00:00:00Z", INT64_C(-62135596800000000) },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t us = 42;

		ck_assert_msg(!pbx_cdr_time_parse(ok[i].s, &us),
			      "refused %s", ok[i].s);
		ck_assert_msg(us == ok[i].us, "%s: %lld, not %lld", ok[i].s,
			      (long long)us, (long long)ok[i].us);
	}
}
END_TEST

START_TEST(cdr_2_3_time_parse_invalid)
{
	static const char *const bad[] = {
		"", "yesterday", "now", "2024-05-01", "2024-05-01T09:30:00",
		"2024-05-01T09:30Z", "2024-5-01T09:30:00Z",
		"2024-05-01T09:30:00.Z", "2024-05-01T09:30:00ZZ",
		"2024-05-01T09:30:00+0200", "2024-05-01T09:30:00+24:00",
		"2024-05-01X09:30:00Z", "2023-02-29T00:00:00Z",
		"2024-04-31T00:00:00Z", "2024-13-01T00:00:00Z",
		"2024-00-01T00:00:00Z", "2024-05-00T00:00:00Z",
		"2024-05-01T24:00:00Z", "2024-05-01T09:60:00Z",
		"2024-05-01T09:30:61Z", "0000-01-01T00:00:00Z",
		"+2024-05-01T09:30:00Z", " 2024-05-01T09:30:00Z",
		"2024-05-01T09:30:00Z ", "1714555800",
	};
	int64_t us = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(pbx_cdr_time_parse(bad[i], &us) == EINVAL,
			      "accepted '%s'", bad[i]);
	ck_assert_int_eq(us, 42);
	ck_assert_int_eq(pbx_cdr_time_parse(NULL, &us), EINVAL);
}
END_TEST

START_TEST(cdr_2_4_time_round_trip)
{
	char buf[PBX_CDR_TIME_LEN];
	int64_t us = -INT64_C(2208988800000000), back;

	/* 1900 to beyond 2100, in odd steps. */
	for (int i = 0; i < 5000; i++) {
		us += INT64_C(1500000000) * 1000 + 123457 * i;
		ck_assert_int_eq(pbx_cdr_time_format(us, buf, sizeof(buf)), 0);
		ck_assert_int_eq(pbx_cdr_time_parse(buf, &back), 0);
		ck_assert_msg(back == us, "%s: %lld != %lld", buf,
			      (long long)back, (long long)us);
	}
}
END_TEST

START_TEST(cdr_3_1_utf8)
{
	ck_assert(pbx_cdr_utf8_is_valid("", 0));
	ck_assert(pbx_cdr_utf8_is_valid("abc", 3));
	ck_assert(pbx_cdr_utf8_is_valid("\xc3\xa9\xe2\x82\xac", 5));
	ck_assert(pbx_cdr_utf8_is_valid("\xf4\x8f\xbf\xbf", 4));
	ck_assert(!pbx_cdr_utf8_is_valid("\xe9", 1));
	ck_assert(!pbx_cdr_utf8_is_valid("\xc0\xaf", 2));
	ck_assert(!pbx_cdr_utf8_is_valid("\xe0\x80\xaf", 3));
	ck_assert(!pbx_cdr_utf8_is_valid("\xed\xa0\x80", 3));
	ck_assert(!pbx_cdr_utf8_is_valid("\xf4\x90\x80\x80", 4));
	ck_assert(!pbx_cdr_utf8_is_valid("\xe2\x82", 2));
	ck_assert(!pbx_cdr_utf8_is_valid("\x80", 1));
	ck_assert(!pbx_cdr_utf8_is_valid("\xff", 1));
	ck_assert(!pbx_cdr_utf8_is_valid(NULL, 0));
	ck_assert(pbx_cdr_disposition_is_valid("noanswer"));
	ck_assert(!pbx_cdr_disposition_is_valid("NOANSWER"));
	ck_assert(!pbx_cdr_disposition_is_valid(NULL));
	ck_assert(pbx_cdr_hangup_side_is_valid("pbx"));
	ck_assert(!pbx_cdr_hangup_side_is_valid(""));
}
END_TEST

/* ---- Spool, no database ---- */

/* A pool whose PostgreSQL refuses connections at once. */
static struct pbx_db *db_unreachable(void)
{
	struct pbx_db *db;
	char ci[128];

	snprintf(ci, sizeof(ci), "host=127.0.0.1 port=%d dbname=x user=x "
		 "connect_timeout=2", closed_port());
	ck_assert_int_eq(pbx_db_alloc(&db, ci, 1), 0);
	return db;
}

/* What reached the spool is exactly the serialised record, one line
 * each, in a directory and file only pbxd may read.
 */
START_TEST(cdr_4_1_spool_round_trip)
{
	static const struct pbx_cdr_leg odd[] = {
		{ "\"quoted\"", "sip:\xff@h", 487, false },
	};
	struct pbx_db *db = db_unreachable();
	struct pbx_cdr_writer *w;
	struct pbx_cdr c[3];
	struct pbx_cdr_stats st;
	char *want[3], *got[8], *dir = path_in(tmpdir, "a/spool");
	uint64_t three = 3;
	struct stat sb;
	size_t n;

	ck_assert_int_eq(pbx_cdr_writer_alloc(&w, db, node, dir), 0);
	for (int i = 0; i < 3; i++) {
		cdr_make(&c[i]);
		c[i].start_us += i;
	}
	c[1].legs = odd;
	c[1].nlegs = 1;
	c[1].caller_name = "J\xf6rg";
	c[2].answer_us = 0;
	c[2].disposition = "unavailable";
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(pbx_cdr_to_json(&c[i], node, &want[i]), 0);
		ck_assert_int_eq(pbx_cdr_submit(w, &c[i]), 0);
	}
	ck_assert_msg(wait_for(w, spooled_at_least, &three, 10000),
		      "3 CDRs not spooled within 10 s");
	pbx_cdr_writer_stats(w, &st);
	ck_assert(st.spooling);
	ck_assert_int_eq(st.submitted, 3);
	ck_assert_int_eq(st.written, 0);
	ck_assert_int_eq(st.pending, 0);

	n = read_lines(path_in(dir, PBX_CDR_SPOOL_FILE), got, 8);
	ck_assert_int_eq(n, 3);
	for (size_t i = 0; i < n; i++) {
		json_t *o = load(got[i]);

		/* Order within the spool is not promised; call_ids are. */
		for (int k = 0; k < 3; k++) {
			if (!strcmp(jget_str(o, "call_id"), c[k].call_id)) {
				ck_assert_str_eq(got[i], want[k]);
				want[k][0] = '\0';
			}
		}
		json_decref(o);
		free(got[i]);
	}
	for (int k = 0; k < 3; k++) {
		ck_assert_msg(!want[k][0], "CDR %d missing", k);
		free(want[k]);
	}
	ck_assert_int_eq(stat(dir, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	ck_assert_int_eq(stat(path_in(dir, PBX_CDR_SPOOL_FILE), &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert(!exists(path_in(dir, PBX_CDR_REPLAY_FILE)));

	/* Malformed records are refused at the door. */
	c[0].hangup_side = "both";
	ck_assert_int_eq(pbx_cdr_submit(w, &c[0]), EINVAL);
	writer_stop(w, db);
}
END_TEST

/* Records still in memory at shutdown reach the spool. */
START_TEST(cdr_4_2_spool_at_shutdown)
{
	struct pbx_db *db = db_unreachable();
	struct pbx_cdr_writer *w;
	struct pbx_cdr c;
	char *got[8];
	size_t n;

	ck_assert_int_eq(pbx_cdr_writer_alloc(&w, db, node, tmpdir), 0);
	for (int i = 0; i < 5; i++) {
		cdr_make(&c);
		ck_assert_int_eq(pbx_cdr_submit(w, &c), 0);
	}
	writer_stop(w, db);
	n = read_lines(path_in(tmpdir, PBX_CDR_SPOOL_FILE), got, 8);
	ck_assert_int_eq(n, 5);
	while (n)
		free(got[--n]);
}
END_TEST

/* A line a crash cut short stays on its own line. */
START_TEST(cdr_4_3_cut_line_not_glued)
{
	struct pbx_db *db = db_unreachable();
	struct pbx_cdr_writer *w;
	struct pbx_cdr c;
	char *got[8], *line;
	uint64_t one = 1;
	size_t n;

	write_file(path_in(tmpdir, PBX_CDR_SPOOL_FILE), "{\"v\":1,\"call");
	/* The start-up replay must not eat the file: it fails first. */
	ck_assert_int_eq(pbx_cdr_writer_alloc(&w, db, node, tmpdir), 0);
	cdr_make(&c);
	ck_assert_int_eq(pbx_cdr_to_json(&c, node, &line), 0);
	ck_assert_int_eq(pbx_cdr_submit(w, &c), 0);
	ck_assert(wait_for(w, spooled_at_least, &one, 10000));
	n = read_lines(path_in(tmpdir, PBX_CDR_SPOOL_FILE), got, 8);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(got[0], "{\"v\":1,\"call");
	ck_assert_str_eq(got[1], line);
	free(got[0]);
	free(got[1]);
	free(line);
	writer_stop(w, db);
}
END_TEST

/* ---- With PostgreSQL (PBX_TEST_CONNINFO) ---- */

static PGconn *pg;

static PGresult *sql(const char *q, int n, const char *const *v)
{
	PGresult *res = PQexecParams(pg, q, n, NULL, v, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(res);

	ck_assert_msg(s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK,
		      "%s: %s", q, PQresultErrorMessage(res));
	return res;
}

/* The single value of a one-row query, as text ("" for NULL). */
static char *sql1(const char *q, int n, const char *const *v)
{
	static char buf[4][1024];
	static int i;
	PGresult *res = sql(q, n, v);

	ck_assert_msg(PQntuples(res) == 1, "%s: %d rows", q, PQntuples(res));
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return buf[i];
}

static int rows_of(const char *call_id)
{
	return atoi(sql1("SELECT count(*) FROM cdrs WHERE call_id = $1", 1,
			 &call_id));
}

static void setup_db(void)
{
	const char *ci = getenv("PBX_TEST_CONNINFO");
	const char *nd;

	setup_loop();
	pg = PQconnectdb(ci);
	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "%s: %s", ci,
		      PQerrorMessage(pg));
	ck_assert_msg(*sql1("SELECT coalesce(to_regclass('cdrs')::text, '')",
			    0, NULL), "no cdrs table: run pbxd --migrate");
	/* Also what a failed earlier run (no teardown) left behind. */
	nd = "check-cdr-%";
	PQclear(sql("DELETE FROM cdrs WHERE node LIKE $1", 1, &nd));
}

static void teardown_db(void)
{
	const char *nd = node;

	PQclear(sql("DELETE FROM cdrs WHERE node = $1", 1, &nd));
	PQfinish(pg);
	teardown_loop();
}

/* ---- A TCP proxy to PostgreSQL that can be cut and restored ---- */

#define PROXY_CONNS 16

struct proxy {
	pthread_t thread;
	int port;
	struct sockaddr_in target;
	int lfd;                  /* listening socket, or -1 while down */
	int fds[PROXY_CONNS][2];  /* client, server */
	int n;
	atomic_bool up;
	atomic_bool stop;
};

static int proxy_listen(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void proxy_close_all(struct proxy *p)
{
	for (int i = 0; i < p->n; i++) {
		close(p->fds[i][0]);
		close(p->fds[i][1]);
	}
	p->n = 0;
}

static void proxy_accept(struct proxy *p)
{
	int c = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC), s;

	if (c < 0)
		return;
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->n == PROXY_CONNS ||
	    connect(s, (struct sockaddr *)&p->target, sizeof(p->target))) {
		close(s);
		close(c);
		return;
	}
	p->fds[p->n][0] = c;
	p->fds[p->n][1] = s;
	p->n++;
}

/* Copy what is readable on side <k> of pair <i>; false when it ended. */
static bool proxy_pump(struct proxy *p, int i, int k)
{
	char buf[16384];
	ssize_t n = read(p->fds[i][k], buf, sizeof(buf)), o = 0;

	if (n <= 0)
		return false;
	while (o < n) {
		ssize_t m = write(p->fds[i][!k], buf + o, (size_t)(n - o));

		if (m <= 0)
			return false;
		o += m;
	}
	return true;
}

static void *proxy_main(void *arg)
{
	struct proxy *p = arg;

	while (!p->stop) {
		struct pollfd pf[1 + 2 * PROXY_CONNS];
		int np = 0;

		if (p->up && p->lfd < 0)
			p->lfd = proxy_listen(p->port);
		if (!p->up && p->lfd >= 0) {
			close(p->lfd);
			p->lfd = -1;
			proxy_close_all(p);
		}
		pf[np++] = (struct pollfd){ .fd = p->lfd, .events = POLLIN };
		for (int i = 0; i < p->n; i++)
			for (int k = 0; k < 2; k++)
				pf[np++] = (struct pollfd){
					.fd = p->fds[i][k], .events = POLLIN
				};
		if (poll(pf, (nfds_t)np, 20) <= 0)
			continue;
		if (p->lfd >= 0 && (pf[0].revents & POLLIN))
			proxy_accept(p);
		for (int i = 0, j = 1; i < p->n && j < np; i++, j += 2) {
			bool ok = true;

			for (int k = 0; k < 2 && ok; k++)
				if (pf[j + k].revents)
					ok = proxy_pump(p, i, k);
			if (!ok) {
				close(p->fds[i][0]);
				close(p->fds[i][1]);
				p->fds[i][0] = p->fds[p->n - 1][0];
				p->fds[i][1] = p->fds[p->n - 1][1];
				p->n--;
				break;    /* pf no longer matches: poll again */
			}
		}
	}
	if (p->lfd >= 0)
		close(p->lfd);
	proxy_close_all(p);
	return NULL;
}

/* Start a proxy to the server of <conninfo> (host must be an IPv4
 * address); <ci> gets <conninfo> redirected through it.
 */
static void proxy_start(struct proxy *p, const char *conninfo, char *ci,
			size_t cisz)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	const char *host = NULL, *addr = NULL, *port = "5432";
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	ck_assert_ptr_nonnull(opts);
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (!strcmp(o->keyword, "hostaddr"))
			addr = o->val;
		else if (!strcmp(o->keyword, "host"))
			host = o->val;
		else if (!strcmp(o->keyword, "port"))
			port = o->val;
	}
	if (!addr)
		addr = host && strcmp(host, "localhost") ? host : "127.0.0.1";
	memset(p, 0, sizeof(*p));
	p->target.sin_family = AF_INET;
	p->target.sin_port = htons((uint16_t)atoi(port));
	ck_assert_msg(inet_pton(AF_INET, addr, &p->target.sin_addr) == 1,
		      "PBX_TEST_CONNINFO host '%s' is not an IPv4 address",
		      addr);
	PQconninfoFree(opts);

	p->lfd = proxy_listen(0);
	ck_assert_int_ge(p->lfd, 0);
	ck_assert_int_eq(getsockname(p->lfd, (struct sockaddr *)&a, &len), 0);
	p->port = ntohs(a.sin_port);
	p->up = true;
	ck_assert_int_eq(pthread_create(&p->thread, NULL, proxy_main, p), 0);
	/* Later keywords win in a libpq connection string. */
	snprintf(ci, cisz, "%s host=127.0.0.1 hostaddr=127.0.0.1 port=%d "
		 "connect_timeout=2", conninfo, p->port);
}

static void proxy_stop(struct proxy *p)
{
	p->stop = true;
	pthread_join(p->thread, NULL);
}

/* Every column of a written row, as the writer was given it. */
START_TEST(cdr_5_1_write_columns)
{
	struct pbx_db *db;
	struct pbx_cdr_writer *w;
	struct pbx_cdr a, b;
	struct pbx_cdr_stats st;
	const char *id;
	char want[512];
	uint64_t two = 2;

	ck_assert_int_eq(pbx_db_alloc(&db, getenv("PBX_TEST_CONNINFO"), 2),
			 0);
	ck_assert_int_eq(pbx_cdr_writer_alloc(&w, db, node, tmpdir), 0);
	cdr_make(&a);
	a.caller_name = "O'Brien \"Q\" \xe9";
	cdr_make(&b);
	b.answer_us = 0;
	b.legs = NULL;
	b.nlegs = 0;
	b.disposition = "busy";
	b.hangup_cause = 486;
	b.hangup_side = "callee";
	b.sip_call_id = NULL;
	ck_assert_int_eq(pbx_cdr_submit(w, &a), 0);
	ck_assert_int_eq(pbx_cdr_submit(w, &b), 0);
	ck_assert_msg(wait_for(w, written_at_least, &two, 10000),
		      "2 CDRs not written within 10 s");
	pbx_cdr_writer_stats(w, &st);
	ck_assert_int_eq(st.spooled, 0);
	ck_assert(!st.spooling);

	id = a.call_id;
	snprintf(want, sizeof(want), "a84b4c76e66710@pc33.example.com|%s|"
		 "1001|O'Brien \"Q\" \xef\xbf\xbd|600|"
		 "2024-05-01T09:30:00.000000|09:30:05.250000|09:31:05.750000|"
		 "65|60|answered|0|caller", node);
	ck_assert_str_eq(sql1("SELECT concat_ws('|', sip_call_id, node,"
			      " caller_number, caller_name, destination,"
			      " to_char(start_time AT TIME ZONE 'UTC',"
			      " 'YYYY-MM-DD\"T\"HH24:MI:SS.US'),"
			      " to_char(answer_time AT TIME ZONE 'UTC',"
			      " 'HH24:MI:SS.US'),"
			      " to_char(end_time AT TIME ZONE 'UTC',"
			      " 'HH24:MI:SS.US'), duration, billsec,"
			      " disposition, hangup_cause, hangup_side)"
			      " FROM cdrs WHERE call_id = $1", 1, &id), want);
	ck_assert_str_eq(sql1("SELECT concat_ws('|', jsonb_array_length(legs),"
			      " legs->0->>'target', legs->0->>'uri',"
			      " legs->0->>'status', legs->0->>'answered',"
			      " legs->1->>'target', legs->1->>'answered')"
			      " FROM cdrs WHERE call_id = $1", 1, &id),
			 "2|1002|sip:1002@192.0.2.10:5062|486|false|1003|true");

	id = b.call_id;
	ck_assert_str_eq(sql1("SELECT concat_ws('|', sip_call_id IS NULL,"
			      " answer_time IS NULL, legs::text, duration,"
			      " billsec, disposition, hangup_cause,"
			      " hangup_side) FROM cdrs WHERE call_id = $1",
			      1, &id), "t|t|[]|65|0|busy|486|callee");
	writer_stop(w, db);
}
END_TEST

/* PostgreSQL goes away: the batch in flight and the next records are
 * spooled; when it is back, the retry replays each exactly once,
 * removes the spool, and records go straight to the table again.
 */
START_TEST(cdr_5_2_outage_spool_replay)
{
	struct pbx_db *db;
	struct pbx_cdr_writer *w;
	struct pbx_cdr c[5];
	struct pbx_cdr_stats st;
	struct proxy px;
	char ci[1024], *got[8];
	uint64_t one = 1, two = 2, three = 3;
	size_t n;

	proxy_start(&px, getenv("PBX_TEST_CONNINFO"), ci, sizeof(ci));
	ck_assert_int_eq(pbx_db_alloc(&db, ci, 1), 0);
	ck_assert_int_eq(pbx_cdr_writer_alloc(&w, db, node, tmpdir), 0);
	for (int i = 0; i < 5; i++)
		cdr_make(&c[i]);

	ck_assert_int_eq(pbx_cdr_submit(w, &c[0]), 0);
	ck_assert(wait_for(w, written_at_least, &one, 10000));

	/* Cut: the worker's connection dies under the next batch. */
	px.up = false;
	run_loop(100);
	ck_assert_int_eq(pbx_cdr_submit(w, &c[1]), 0);
	ck_assert_int_eq(pbx_cdr_submit(w, &c[2]), 0);
	ck_assert_msg(wait_for(w, spooled_at_least, &two, 10000),
		      "not spooled within 10 s");
	pbx_cdr_writer_stats(w, &st);
	ck_assert(st.spooling);
	ck_assert_int_eq(rows_of(c[1].call_id), 0);
	ck_assert_int_eq(rows_of(c[2].call_id), 0);
	/* While spooling, a record goes to the spool directly. */
	ck_assert_int_eq(pbx_cdr_submit(w, &c[3]), 0);
	ck_assert(wait_for(w, spooled_at_least, &three, 5000));
	n = read_lines(path_in(tmpdir, PBX_CDR_SPOOL_FILE), got, 8);
	ck_assert_int_eq(n, 3);
	while (n)
		free(got[--n]);

	/* Back: the retry (every PBX_CDR_RETRY_MS) replays the spool. */
	px.up = true;
	ck_assert_msg(wait_for(w, replayed_at_least, &three,
			       PBX_CDR_RETRY_MS * 3),
		      "spool not replayed within %d ms", PBX_CDR_RETRY_MS * 3);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(rows_of(c[i].call_id), 1);
	ck_assert(!exists(path_in(tmpdir, PBX_CDR_SPOOL_FILE)));
	ck_assert(!exists(path_in(tmpdir, PBX_CDR_REPLAY_FILE)));

	ck_assert_int_eq(pbx_cdr_submit(w, &c[4]), 0);
	ck_assert(wait_for(w, written_at_least, &two, 10000));
	ck_assert_int_eq(rows_of(c[4].call_id), 1);
	pbx_cdr_writer_stats(w, &st);
	ck_assert_int_eq(st.spooled, 3);
	ck_assert_int_eq(st.replayed, 3);
	ck_assert_int_eq(st.duplicates, 0);
	ck_assert_int_eq(st.pending, 0);
	writer_stop(w, db);
	proxy_stop(&px);
}
END_TEST

/* The spool files are gone and the loop has counted at least <*arg>
 * replayed rows (the worker removes the file before the loop hears).
 */
static bool files_gone(struct pbx_cdr_writer *w, void *arg)
{
	struct pbx_cdr_stats st;

	pbx_cdr_writer_stats(w, &st);
	return !exists(path_in(tmpdir, PBX_CDR_SPOOL_FILE)) &&
	       !exists(path_in(tmpdir, PBX_CDR_REPLAY_FILE)) &&
	       !st.spooling && st.replayed >= *(uint64_t *)arg;
}

/* A previous run left a spool (with a duplicate, a row already in the
 * table, a line cut short and a row the table refuses) and a replay
 * file it had not finished: start-up replays both, inserting each
 * call_id once and setting the bad lines aside.
 */
START_TEST(cdr_5_3_replay_at_start)
{
	struct pbx_db *db;
	struct pbx_cdr_writer *w;
	struct pbx_cdr x, y, z, v, u;
	struct pbx_cdr_stats st;
	char *lx, *ly, *lz, *lv, *lu, *bogus, *got[8], text[8192];
	const char *p[2];
	uint64_t three = 3;
	size_t n;

	cdr_make(&x);
	cdr_make(&y);
	cdr_make(&z);
	cdr_make(&v);
	cdr_make(&u);
	ck_assert_int_eq(pbx_cdr_to_json(&x, node, &lx), 0);
	ck_assert_int_eq(pbx_cdr_to_json(&y, node, &ly), 0);
	ck_assert_int_eq(pbx_cdr_to_json(&z, node, &lz), 0);
	ck_assert_int_eq(pbx_cdr_to_json(&v, node, &lv), 0);
	ck_assert_int_eq(pbx_cdr_to_json(&u, node, &lu), 0);
	/* A disposition the table's CHECK refuses. */
	bogus = strstr(lz, "\"disposition\":\"answered\"");
	ck_assert_ptr_nonnull(bogus);
	memcpy(bogus, "\"disposition\":\"answerer\"", 24);

	p[0] = y.call_id;
	p[1] = node;
	PQclear(sql("INSERT INTO cdrs (call_id, node, start_time, end_time,"
		    " duration, disposition, hangup_side) VALUES ($1, $2,"
		    " now(), now(), 0, 'failed', 'pbx')", 2, p));

	/* The last line lost its newline (not its content) in a crash. */
	snprintf(text, sizeof(text), "%s\n%s\n%s\n{\"v\":1,\"call_id\":\"ab\n"
		 "%s\n\n%s", lx, lx, ly, lz, lu);
	write_file(path_in(tmpdir, PBX_CDR_SPOOL_FILE), text);
	snprintf(text, sizeof(text), "%s\n", lv);
	write_file(path_in(tmpdir, PBX_CDR_REPLAY_FILE), text);

	ck_assert_int_eq(pbx_db_alloc(&db, getenv("PBX_TEST_CONNINFO"), 1),
			 0);
	ck_assert_int_eq(pbx_cdr_writer_alloc(&w, db, node, tmpdir), 0);
	ck_assert_msg(wait_for(w, files_gone, &three, 10000),
		      "spool not replayed within 10 s");
	pbx_cdr_writer_stats(w, &st);
	ck_assert_int_eq(st.replayed, 3);       /* x, u, v */
	ck_assert_int_eq(st.duplicates, 2);     /* x again, y */
	ck_assert_int_eq(st.rejected, 2);       /* the cut line, z */
	ck_assert_int_eq(rows_of(x.call_id), 1);
	ck_assert_int_eq(rows_of(y.call_id), 1);
	ck_assert_int_eq(rows_of(z.call_id), 0);
	ck_assert_int_eq(rows_of(u.call_id), 1);
	ck_assert_int_eq(rows_of(v.call_id), 1);
	p[0] = y.call_id;
	ck_assert_str_eq(sql1("SELECT disposition FROM cdrs WHERE call_id ="
			      " $1", 1, p), "failed");

	n = read_lines(path_in(tmpdir, PBX_CDR_REJECTED_FILE), got, 8);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(got[0], "{\"v\":1,\"call_id\":\"ab");
	ck_assert_str_eq(got[1], lz);
	free(got[0]);
	free(got[1]);
	free(lx);
	free(ly);
	free(lz);
	free(lv);
	free(lu);
	writer_stop(w, db);
}
END_TEST

/* A spool larger than one replay job takes: the jobs resume where the
 * last one stopped, and every row arrives once.
 */
START_TEST(cdr_5_4_replay_large_spool)
{
	enum { N = 10123 };
	struct pbx_db *db;
	struct pbx_cdr_writer *w;
	struct pbx_cdr c;
	struct pbx_cdr_stats st;
	const char *nd = node;
	uint64_t n = N;
	FILE *f = fopen(path_in(tmpdir, PBX_CDR_SPOOL_FILE), "w");

	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < N; i++) {
		char *line;

		cdr_make(&c);
		c.start_us += i;
		ck_assert_int_eq(pbx_cdr_to_json(&c, node, &line), 0);
		fprintf(f, "%s\n", line);
		free(line);
	}
	fclose(f);

	ck_assert_int_eq(pbx_db_alloc(&db, getenv("PBX_TEST_CONNINFO"), 1),
			 0);
	ck_assert_int_eq(pbx_cdr_writer_alloc(&w, db, node, tmpdir), 0);
	ck_assert_msg(wait_for(w, files_gone, &n, 50000),
		      "spool not replayed within 50 s");
	pbx_cdr_writer_stats(w, &st);
	ck_assert_int_eq(st.replayed, N);
	ck_assert_int_eq(st.duplicates, 0);
	ck_assert_int_eq(atoi(sql1("SELECT count(*) FROM cdrs WHERE node ="
				   " $1", 1, &nd)), N);
	writer_stop(w, db);
}
END_TEST

static Suite *cdr_suite(void)
{
	Suite *s = suite_create("cdr");
	TCase *tc;

	tc = tcase_create("format");
	tcase_add_test(tc, cdr_1_1_json_fields);
	tcase_add_test(tc, cdr_1_2_json_odd_bytes);
	tcase_add_test(tc, cdr_1_3_json_unanswered_clamped);
	tcase_add_test(tc, cdr_1_4_json_refuses_malformed);
	tcase_add_test(tc, cdr_2_1_time_format);
	tcase_add_test(tc, cdr_2_2_time_parse_valid);
	tcase_add_test(tc, cdr_2_3_time_parse_invalid);
	tcase_add_test(tc, cdr_2_4_time_round_trip);
	tcase_add_test(tc, cdr_3_1_utf8);
	suite_add_tcase(s, tc);

	tc = tcase_create("spool");
	tcase_add_checked_fixture(tc, setup_loop, teardown_loop);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, cdr_4_1_spool_round_trip);
	tcase_add_test(tc, cdr_4_2_spool_at_shutdown);
	tcase_add_test(tc, cdr_4_3_cut_line_not_glued);
	suite_add_tcase(s, tc);

	/* Only with a database to write to (t_cdr_writer.sh). */
	if (getenv("PBX_TEST_CONNINFO") && *getenv("PBX_TEST_CONNINFO")) {
		tc = tcase_create("db");
		tcase_add_checked_fixture(tc, setup_db, teardown_db);
		tcase_set_timeout(tc, 80);
		tcase_add_test(tc, cdr_5_1_write_columns);
		tcase_add_test(tc, cdr_5_2_outage_spool_replay);
		tcase_add_test(tc, cdr_5_3_replay_at_start);
		tcase_add_test(tc, cdr_5_4_replay_large_spool);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cdr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

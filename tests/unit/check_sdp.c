/* tests/unit/check_sdp.c - sip/sdp.c: SDP offer/answer (RFC 3264) for
 * one leg: codec choice on SDP from real phones (the .sdp files in
 * tests/unit/sdp/), one rule per case (tests/unit/sdp/rules.txt), our
 * answers and offers, o= versions, and bad input that must be refused
 * with a reason, never crash.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <check.h>

#include "sip/sdp.h"

#define OUR_IP   "10.0.0.1"
#define OUR_PORT 30000u
#define C4       "c=IN IP4 192.0.2.7\n"
#define M0       "m=audio 4000 RTP/AVP 0\n"

static char why[160];
static char *bufs[64];      /* freed after each test */
static unsigned nbufs;

static void teardown(void)
{
	while (nbufs)
		free(bufs[--nbufs]);
}

/* Keep <s> (malloc'd) until the end of the test. */
static const char *keep(char *s)
{
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_lt(nbufs, sizeof(bufs) / sizeof(bufs[0]));
	bufs[nbufs++] = s;
	return s;
}

/* SDP text in the tests is written with \n; phones send \r\n. */
static const char *crlf(const char *s)
{
	size_t n = strlen(s), i, o = 0;
	char *b = malloc(2 * n + 1);

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			b[o++] = '\r';
		b[o++] = s[i];
	}
	b[o] = '\0';
	return keep(b);
}

/* Read tests/unit/sdp/<name>, found through PBX_SRCDIR (set by make
 * check) or else beside this source file, into <buf>: its length or -1.
 */
static long read_data(const char *name, char *buf, size_t size)
{
	const char *top = getenv("PBX_SRCDIR");
	const char *slash = strrchr(__FILE__, '/');
	char path[1024];
	size_t n;
	FILE *f;

	if (top)
		snprintf(path, sizeof(path), "%s/tests/unit/sdp/%s", top,
			 name);
	else
		snprintf(path, sizeof(path), "%.*s/sdp/%s",
			 slash ? (int)(slash - __FILE__) : 1,
			 slash ? __FILE__ : ".", name);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (long)n;
}

/* A phone's SDP from tests/unit/sdp/<name>.sdp, with CRLF. */
static const char *sample(const char *name)
{
	char file[64], text[8192];

	snprintf(file, sizeof(file), "%s.sdp", name);
	ck_assert_int_ge(read_data(file, text, sizeof(text)), 0);
	return crlf(text);
}

/* An SDP made of v=, o=, s=, t= and <body> (t= before c= is legal
 * enough for Sofia-SIP and keeps the test tables short).
 */
static const char *mk(const char *body)
{
	char b[2048];

	snprintf(b, sizeof(b), "v=0\no=- 1 1 IN IP4 192.0.2.7\ns=-\n"
		 "t=0 0\n%s", body);
	return crlf(b);
}

static int offer(const char *sdp, struct pbx_sdp_media *m)
{
	memset(why, 0, sizeof(why));
	return pbx_sdp_parse_offer(sdp, strlen(sdp), NULL, m, why,
				   sizeof(why));
}

static int answer_in(const char *sdp, struct pbx_sdp_media *m)
{
	memset(why, 0, sizeof(why));
	return pbx_sdp_parse_answer(sdp, strlen(sdp), NULL, m, why,
				    sizeof(why));
}

/* Our answer to <sdp> as read into <m>. */
static const char *answer_out(struct pbx_sdp_session *ours, const char *sdp,
			      const struct pbx_sdp_media *m)
{
	char *body = NULL;

	ck_assert_int_eq(pbx_sdp_make_answer(ours, sdp, strlen(sdp), m,
					     OUR_IP, OUR_PORT, &body), 0);
	return keep(body);
}

static const char *our_offer(struct pbx_sdp_session *ours, unsigned port,
			     enum pbx_sdp_dir dir)
{
	char *body = NULL;

	ck_assert_int_eq(pbx_sdp_make_offer(ours, NULL, OUR_IP, port, dir,
					    &body), 0);
	return keep(body);
}

/* Position of the line <line> in <body>, -1 if absent. */
static int line_at(const char *body, const char *line)
{
	size_t n = strlen(line);
	const char *p = body;
	int i;

	for (i = 0; p; i++) {
		if (!strncmp(p, line, n) && !strncmp(p + n, "\r\n", 2))
			return i;
		p = strstr(p, "\r\n");
		if (p)
			p += 2;
	}
	return -1;
}

#define ck_has(body, line) \
	ck_assert_msg(line_at((body), (line)) >= 0, "no \"%s\" in:\n%s", \
		      (line), (body))
#define ck_why(text) \
	ck_assert_msg(strstr(why, (text)) != NULL, "why: \"%s\"", why)

static unsigned long long o_version(const char *body)
{
	unsigned long long id, v;
	const char *o = strstr(body, "\r\no=");

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(sscanf(o, "\r\no=pbxd %llu %llu ", &id, &v), 2);
	return v;
}

/* ---- 1. Offers from real phones ---- */

static const struct phone_case {
	const char *file;       /* tests/unit/sdp/<file>.sdp */
	enum pbx_codec codec;
	unsigned pt, codecc;
	int dtmf_pt;
	const char *fmtp, *addr;
	unsigned port;
	bool hold;
} phones[] = {
	/* SIPp's built-in uac scenario: PCMU only */
	{"sipp_uac", PBX_CODEC_PCMU, 0, 1, -1, "", "127.0.1.1", 6000, 0},
	/* a=fmtp before its a=rtpmap */
	{"yealink", PBX_CODEC_PCMU, 0, 2, 101, "0-15", "192.168.1.50",
	 11796, 0},
	/* G.722 and G.722.1 first, telephone-event at 127 */
	{"polycom", PBX_CODEC_PCMU, 0, 2, 127, "", "10.0.0.21", 2222, 0},
	/* PCMA first; media-level c= overrides the session's */
	{"grandstream", PBX_CODEC_PCMA, 8, 2, 101, "0-15", "192.168.2.10",
	 5004, 0},
	/* opus and speex first, telephone-event at 48, 16 and 8 kHz */
	{"linphone", PBX_CODEC_PCMU, 0, 2, 100, "", "192.168.0.20", 7078, 0},
	/* opus first, rtcp-mux, ssrc, b=AS */
	{"baresip", PBX_CODEC_PCMU, 0, 2, 101, "0-15", "192.168.1.30",
	 10580, 0},
	/* the re-INVITE that puts the call on hold */
	{"yealink_hold", PBX_CODEC_PCMU, 0, 2, 101, "0-15", "192.168.1.50",
	 11796, 1},
};

START_TEST(sdp_1_1_offer_phones)
{
	const struct phone_case *c = &phones[_i];
	struct pbx_sdp_session ours;
	struct pbx_sdp_media m, back;
	const char *sdp = sample(c->file), *a;

	ck_assert_msg(offer(sdp, &m) == 0, "%s: %s", c->file, why);
	ck_assert_int_eq(m.codec, c->codec);
	ck_assert_uint_eq(m.pt, c->pt);
	ck_assert_uint_eq(m.codecc, c->codecc);
	ck_assert_int_eq(m.dtmf_pt, c->dtmf_pt);
	ck_assert_str_eq(m.dtmf_fmtp, c->fmtp);
	ck_assert_str_eq(m.addr, c->addr);
	ck_assert_uint_eq(m.port, c->port);
	ck_assert_uint_eq(m.rtcp_port, c->port + 1);
	ck_assert_int_eq(m.family, AF_INET);
	ck_assert_uint_eq(m.ptime, 20);
	ck_assert_int_eq(m.hold, c->hold);
	ck_assert_uint_eq(m.mline, 0);

	/* and the phone can read our answer back */
	pbx_sdp_session_init(&ours, 7);
	a = answer_out(&ours, sdp, &m);
	ck_assert_int_eq(answer_in(a, &back), 0);
	ck_assert_int_eq(back.codec, c->codec);
	ck_assert_int_eq(back.dtmf_pt, c->dtmf_pt);
	ck_assert_int_eq(back.dir, c->hold ? PBX_SDP_RECVONLY :
			 PBX_SDP_SENDRECV);
}
END_TEST

/* ---- 2. One rule each: tests/unit/sdp/rules.txt ---- */

static struct rule {
	char *name;             /* "offer: PCMA only" */
	char *expect;           /* "ok codec=PCMA" or "ENOTSUP text" */
	char *body;             /* SDP lines */
} rules[128];
static int nrules;

/* Split rules.txt (<text>, modified) into rules[]; see its header. */
static void rules_load(char *text)
{
	struct rule *r = NULL;
	char *line, *save = NULL;
	size_t used = 0;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "== ", 3)) {
			if (nrules == (int)(sizeof(rules) / sizeof(rules[0])))
				break;
			r = &rules[nrules++];
			r->name = strdup(line + 3);
			r->body = calloc(1, 2048);
			used = 0;
		} else if (r && !strncmp(line, "=> ", 3)) {
			r->expect = strdup(line + 3);
		} else if (r && line[0] != '#' && used + strlen(line) < 2046) {
			used += (size_t)snprintf(r->body + used, 2048 - used,
						 "%s\n", line);
		}
	}
}

#define KEY(name) (k == strlen(name) && !strncmp(kv, (name), k))

/* Check one "key=value" of a rule's expectation against <m>. */
static void rule_check(const struct rule *r, const char *sdp,
		       const struct pbx_sdp_media *m, const char *kv)
{
	struct pbx_sdp_session ours;
	const char *v = strchr(kv, '=');
	char got[64], line[32];
	size_t k = v ? (size_t)(v++ - kv) : 0;

	if (KEY("codec"))
		snprintf(got, sizeof(got), "%s", pbx_sdp_codec_name(m->codec));
	else if (KEY("pt"))
		snprintf(got, sizeof(got), "%u", m->pt);
	else if (KEY("dtmf"))
		snprintf(got, sizeof(got), "%d", m->dtmf_pt);
	else if (KEY("fmtp"))
		snprintf(got, sizeof(got), "%s", m->dtmf_fmtp);
	else if (KEY("ptime"))
		snprintf(got, sizeof(got), "%u", m->ptime);
	else if (KEY("rtcp"))
		snprintf(got, sizeof(got), "%u", m->rtcp_port);
	else if (KEY("addr"))
		snprintf(got, sizeof(got), "%s", m->addr);
	else if (KEY("port"))
		snprintf(got, sizeof(got), "%u", m->port);
	else if (KEY("dir"))
		snprintf(got, sizeof(got), "%s", pbx_sdp_dir_name(m->dir));
	else if (KEY("hold"))
		snprintf(got, sizeof(got), "%d", m->hold);
	else if (KEY("mline"))
		snprintf(got, sizeof(got), "%u", m->mline);
	else if (KEY("reply")) {
		pbx_sdp_session_init(&ours, 1);
		snprintf(line, sizeof(line), "a=%s", v);
		ck_has(answer_out(&ours, sdp, m), line);
		return;
	} else {
		ck_abort_msg("%s: bad expectation \"%s\"", r->name, kv);
		return;
	}
	ck_assert_msg(k && !strcmp(got, v), "%s: %s, got %s", r->name, kv,
		      got);
}

START_TEST(sdp_2_1_rules)
{
	const struct rule *r = &rules[_i];
	struct pbx_sdp_media m;
	const char *sdp, *reason;
	char expect[256], *kv, *save = NULL;
	int err, want;

	ck_assert_msg(r->expect != NULL, "%s: no \"=>\" line", r->name);
	sdp = strstr(r->name, " raw:") ? crlf(r->body) : mk(r->body);
	memset(&m, 0x5a, sizeof(m));
	err = strncmp(r->name, "answer", 6) ? offer(sdp, &m) :
		answer_in(sdp, &m);

	snprintf(expect, sizeof(expect), "%s", r->expect);
	kv = strtok_r(expect, " ", &save);
	want = !strcmp(kv, "EBADMSG") ? EBADMSG :
		!strcmp(kv, "ENOTSUP") ? ENOTSUP : 0;
	ck_assert_msg(err == want, "%s: got %d, why \"%s\"", r->name, err,
		      why);
	if (err) {
		reason = r->expect + strlen(kv) + 1;
		ck_assert_msg(strstr(why, reason) != NULL,
			      "%s: why \"%s\"", r->name, why);
		/* out-params are written only on success */
		ck_assert_uint_eq(m.port, 0x5a5a5a5au);
		return;
	}
	ck_assert_str_eq(kv, "ok");
	while ((kv = strtok_r(NULL, " ", &save)))
		rule_check(r, sdp, &m, kv);
}
END_TEST

START_TEST(sdp_2_2_offer_no_common_codec_reason)
{
	struct pbx_sdp_media m;

	ck_assert_int_eq(offer(mk(C4 "m=audio 4000 RTP/AVP 18 96 101 97\n"
				  "a=rtpmap:18 G729/8000\n"
				  "a=rtpmap:96 opus/48000/2\n"
				  "a=rtpmap:101 telephone-event/8000\n"),
			       &m), ENOTSUP);
	ck_why("no common codec (offered: G729/8000 opus/48000 "
	       "telephone-event/8000 PT97; accepted: PCMU PCMA)");
}
END_TEST

START_TEST(sdp_2_3_offer_prefs)
{
	struct pbx_sdp_prefs p;
	struct pbx_sdp_media m;
	const char *y = sample("yealink"), *s = sample("sipp_uac");

	pbx_sdp_prefs_default(&p);
	ck_assert_int_eq(pbx_sdp_prefs_parse(&p, " pcma "), 0);
	ck_assert_int_eq(pbx_sdp_parse_offer(y, strlen(y), &p, &m, why,
					     sizeof(why)), 0);
	ck_assert_int_eq(m.codec, PBX_CODEC_PCMA);
	ck_assert_uint_eq(m.codecc, 1);
	ck_assert_int_eq(m.dtmf_pt, 101);

	p.dtmf = false;         /* telephone-event switched off */
	ck_assert_int_eq(pbx_sdp_parse_offer(y, strlen(y), &p, &m, why,
					     sizeof(why)), 0);
	ck_assert_int_eq(m.dtmf_pt, -1);

	ck_assert_int_eq(pbx_sdp_parse_offer(s, strlen(s), &p, &m, why,
					     sizeof(why)), ENOTSUP);
	ck_why("accepted: PCMA)");
}
END_TEST

START_TEST(sdp_2_4_prefs_parse)
{
	struct pbx_sdp_prefs p;

	pbx_sdp_prefs_default(&p);
	ck_assert_uint_eq(p.codecc, 2);
	ck_assert_int_eq(p.codecv[0], PBX_CODEC_PCMU);
	ck_assert(p.dtmf);
	ck_assert_int_eq(pbx_sdp_prefs_parse(&p, "PCMA,PCMU"), 0);
	ck_assert_int_eq(p.codecv[0], PBX_CODEC_PCMA);
	ck_assert_int_eq(pbx_sdp_prefs_parse(&p, "pcmu, PCMA"), 0);
	ck_assert_int_eq(p.codecv[0], PBX_CODEC_PCMU);

	ck_assert_int_eq(pbx_sdp_prefs_parse(&p, ""), EINVAL);
	ck_assert_int_eq(pbx_sdp_prefs_parse(&p, " , "), EINVAL);
	ck_assert_int_eq(pbx_sdp_prefs_parse(&p, "PCMU,G729"), EINVAL);
	ck_assert_int_eq(pbx_sdp_prefs_parse(&p, "PCMU,pcmu"), EINVAL);
	ck_assert_int_eq(pbx_sdp_prefs_parse(&p, "PCMU,PCMA,PCMU"), EINVAL);
	ck_assert_int_eq(pbx_sdp_prefs_parse(&p, "PCMUPCMUPCMUPCMUPCMU"),
			 EINVAL);
	ck_assert_int_eq(pbx_sdp_prefs_parse(&p, NULL), EINVAL);
	/* a failed parse leaves the old list */
	ck_assert_int_eq(p.codecv[0], PBX_CODEC_PCMU);
	ck_assert_uint_eq(p.codecc, 2);
}
END_TEST

START_TEST(sdp_2_5_media_choose_and_names)
{
	struct pbx_sdp_media m;

	ck_assert_int_eq(offer(sample("yealink"), &m), 0);
	ck_assert_int_eq(m.codecv[1], PBX_CODEC_PCMA);
	ck_assert_uint_eq(m.ptv[1], 8);
	ck_assert_int_eq(pbx_sdp_media_choose(&m, PBX_CODEC_PCMA), 0);
	ck_assert_int_eq(m.codec, PBX_CODEC_PCMA);
	ck_assert_uint_eq(m.pt, 8);
	ck_assert_int_eq(pbx_sdp_media_choose(&m, PBX_CODEC_PCMU), 0);
	ck_assert_uint_eq(m.pt, 0);

	ck_assert_int_eq(offer(sample("sipp_uac"), &m), 0);
	ck_assert_uint_eq(m.origin_id, 53655765u);
	ck_assert_uint_eq(m.origin_version, 2353687637u);
	ck_assert_int_eq(pbx_sdp_media_choose(&m, PBX_CODEC_PCMA), ENOENT);
	ck_assert_int_eq(m.codec, PBX_CODEC_PCMU);
	ck_assert_int_eq(pbx_sdp_media_choose(NULL, PBX_CODEC_PCMA), EINVAL);

	ck_assert_str_eq(pbx_sdp_codec_name(PBX_CODEC_PCMU), "PCMU");
	ck_assert_str_eq(pbx_sdp_codec_name(PBX_CODEC_PCMA), "PCMA");
	ck_assert_str_eq(pbx_sdp_codec_name(PBX_CODEC_NONE), "none");
	ck_assert_str_eq(pbx_sdp_dir_name(PBX_SDP_SENDRECV), "sendrecv");
	ck_assert_str_eq(pbx_sdp_dir_name(PBX_SDP_RECVONLY), "recvonly");
}
END_TEST

/* ---- 3. Our answer ---- */

START_TEST(sdp_3_1_answer_lines)
{
	struct pbx_sdp_session ours;
	struct pbx_sdp_media m;
	const char *sdp = sample("yealink"), *a;

	pbx_sdp_session_init(&ours, 4242);
	ck_assert_int_eq(offer(sdp, &m), 0);
	a = answer_out(&ours, sdp, &m);
	ck_assert_int_eq(line_at(a, "v=0"), 0);
	ck_assert_int_eq(line_at(a, "o=pbxd 4242 1 IN IP4 10.0.0.1"), 1);
	ck_assert_int_eq(line_at(a, "s=pbxd"), 2);
	ck_assert_int_eq(line_at(a, "c=IN IP4 10.0.0.1"), 3);
	ck_assert_int_eq(line_at(a, "t=0 0"), 4);
	ck_assert_int_eq(line_at(a, "m=audio 30000 RTP/AVP 0 101"), 5);
	ck_has(a, "a=rtpmap:0 PCMU/8000");
	ck_has(a, "a=rtpmap:101 telephone-event/8000");
	ck_has(a, "a=fmtp:101 0-16");
	ck_has(a, "a=ptime:20");
	ck_has(a, "a=sendrecv");
	ck_assert_int_eq(line_at(a, "a=rtpmap:8 PCMA/8000"), -1);
	ck_assert_ptr_null(strstr(a, "G729"));
	ck_assert_str_eq(a + strlen(a) - 2, "\r\n");
}
END_TEST

START_TEST(sdp_3_2_answer_keeps_peer_pts)
{
	struct pbx_sdp_session ours;
	struct pbx_sdp_media m;
	const char *sdp, *a;

	pbx_sdp_session_init(&ours, 1);
	sdp = sample("polycom");
	ck_assert_int_eq(offer(sdp, &m), 0);
	a = answer_out(&ours, sdp, &m);
	ck_has(a, "m=audio 30000 RTP/AVP 0 127");
	ck_has(a, "a=rtpmap:127 telephone-event/8000");

	sdp = mk(C4 "m=audio 4000 RTP/AVP 98 0\na=rtpmap:98 PCMA/8000\n");
	ck_assert_int_eq(offer(sdp, &m), 0);
	a = answer_out(&ours, sdp, &m);
	ck_has(a, "m=audio 30000 RTP/AVP 98");
	ck_has(a, "a=rtpmap:98 PCMA/8000");
	ck_assert_ptr_null(strstr(a, "telephone-event"));
}
END_TEST

START_TEST(sdp_3_3_answer_rejects_other_streams)
{
	static const char *const order[] = {
		"m=video 0 RTP/AVPF 97 98", "m=audio 30000 RTP/AVP 8",
		"m=image 0 udptl t38", "m=audio 0 RTP/AVP 0",
		"m=application 0 TCP/MSRP *", "m=video 0 RTP/AVP 31 34",
	};
	struct pbx_sdp_session ours;
	struct pbx_sdp_media m;
	const char *sdp, *a;
	unsigned i;

	pbx_sdp_session_init(&ours, 1);
	sdp = mk(C4 "m=video 5000 RTP/AVPF 97 98\na=rtpmap:97 H264/90000\n"
		 "m=audio 4000 RTP/AVP 8 0\n"
		 "m=image 6000 udptl t38\na=T38FaxVersion:0\n"
		 "m=audio 4002 RTP/AVP 0\n"
		 "m=application 7000 TCP/MSRP *\n"
		 "m=video 5002 RTP/AVP 31 34\n");
	ck_assert_int_eq(offer(sdp, &m), 0);
	ck_assert_uint_eq(m.mline, 1);
	a = answer_out(&ours, sdp, &m);
	/* same order; rejected streams are just their m= line */
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		ck_assert_msg(line_at(a, order[i]) ==
			      (int)(5 + i + (i > 1) * 3),
			      "\"%s\" misplaced in:\n%s", order[i], a);
	ck_assert_ptr_null(strstr(a, "H264"));
	ck_assert_ptr_null(strstr(a, "T38"));
	ck_assert_int_eq(line_at(a, "a=inactive"), -1);
}
END_TEST

START_TEST(sdp_3_4_answer_first_usable_audio)
{
	struct pbx_sdp_session ours;
	struct pbx_sdp_media m;
	const char *sdp, *a;

	/* SDES best effort: the SRTP stream first, plain RTP second */
	pbx_sdp_session_init(&ours, 1);
	sdp = mk(C4 "m=audio 4000 RTP/SAVP 0\n"
		 "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abcd\n"
		 "m=audio 4002 RTP/AVP 0\n");
	ck_assert_int_eq(offer(sdp, &m), 0);
	ck_assert_uint_eq(m.mline, 1);
	ck_assert_uint_eq(m.port, 4002);
	a = answer_out(&ours, sdp, &m);
	ck_assert_int_eq(line_at(a, "m=audio 0 RTP/SAVP 0"), 5);
	ck_assert_int_eq(line_at(a, "m=audio 30000 RTP/AVP 0"), 6);
	ck_assert_ptr_null(strstr(a, "crypto"));
}
END_TEST

START_TEST(sdp_3_5_answer_ipv6_and_codec_choice)
{
	struct pbx_sdp_session ours;
	struct pbx_sdp_media m;
	const char *sdp = sample("yealink");
	char *body = NULL;

	pbx_sdp_session_init(&ours, 9);
	ck_assert_int_eq(offer(sdp, &m), 0);
	/* the call core picks PCMA to match the other leg */
	ck_assert_int_eq(pbx_sdp_media_choose(&m, PBX_CODEC_PCMA), 0);
	ck_assert_int_eq(pbx_sdp_make_answer(&ours, sdp, strlen(sdp), &m,
					     "2001:db8::0:10", 4000, &body),
			 0);
	keep(body);
	ck_has(body, "o=pbxd 9 1 IN IP6 2001:db8::10");
	ck_has(body, "c=IN IP6 2001:db8::10");
	ck_has(body, "m=audio 4000 RTP/AVP 8 101");
	ck_has(body, "a=rtpmap:8 PCMA/8000");
}
END_TEST

START_TEST(sdp_3_6_answer_bad_arguments)
{
	struct pbx_sdp_session ours;
	struct pbx_sdp_media m, bad[5];
	const char *sdp = sample("yealink"), *other = sample("sipp_uac");
	size_t n = strlen(sdp);
	char *body = NULL;
	unsigned i;

	pbx_sdp_session_init(&ours, 1);
	ck_assert_int_eq(offer(sdp, &m), 0);
	ck_assert_int_eq(pbx_sdp_make_answer(&ours, sdp, n, &m, "pbx.example",
					     OUR_PORT, &body), EINVAL);
	ck_assert_int_eq(pbx_sdp_make_answer(&ours, sdp, n, &m, OUR_IP, 0,
					     &body), EINVAL);
	ck_assert_int_eq(pbx_sdp_make_answer(&ours, sdp, n, &m, OUR_IP,
					     65536, &body), EINVAL);
	ck_assert_int_eq(pbx_sdp_make_answer(NULL, sdp, n, &m, OUR_IP,
					     OUR_PORT, &body), EINVAL);
	ck_assert_int_eq(pbx_sdp_make_answer(&ours, sdp, n, NULL, OUR_IP,
					     OUR_PORT, &body), EINVAL);
	ck_assert_int_eq(pbx_sdp_make_answer(&ours, "garbage", 7, &m, OUR_IP,
					     OUR_PORT, &body), EBADMSG);
	/* the media read from one offer does not answer another */
	ck_assert_int_eq(pbx_sdp_make_answer(&ours, other, strlen(other), &m,
					     OUR_IP, OUR_PORT, &body),
			 EINVAL);

	for (i = 0; i < 5; i++)
		bad[i] = m;
	bad[0].pt = 9;          /* a payload type the offer does not map */
	bad[1].dtmf_pt = 100;
	bad[2].mline = 1;
	bad[3].codec = PBX_CODEC_NONE;
	bad[4].dir = (enum pbx_sdp_dir)9;
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(pbx_sdp_make_answer(&ours, sdp, n, &bad[i],
						     OUR_IP, OUR_PORT, &body),
				 EINVAL);
	ck_assert_ptr_null(body);
	ck_assert(!ours.sent);  /* nothing made, nothing counted */
}
END_TEST

/* ---- 4. o= session version (RFC 3264 8) ---- */

START_TEST(sdp_4_1_version_offers)
{
	struct pbx_sdp_session ours;
	const char *a;

	pbx_sdp_session_init(&ours, 77);
	a = our_offer(&ours, 4000, PBX_SDP_SENDRECV);
	ck_assert_uint_eq(o_version(a), 1);
	/* a session refresh repeats the SDP and its version */
	ck_assert_str_eq(our_offer(&ours, 4000, PBX_SDP_SENDRECV), a);
	ck_assert_uint_eq(o_version(our_offer(&ours, 4000,
					      PBX_SDP_SENDONLY)), 2);
	ck_assert_uint_eq(o_version(our_offer(&ours, 4000,
					      PBX_SDP_SENDRECV)), 3);
	ck_assert_uint_eq(o_version(our_offer(&ours, 4000,
					      PBX_SDP_SENDRECV)), 3);
	ck_assert_uint_eq(o_version(our_offer(&ours, 4002,
					      PBX_SDP_SENDRECV)), 4);
	ck_has(our_offer(&ours, 4002, PBX_SDP_SENDRECV),
	       "o=pbxd 77 4 IN IP4 10.0.0.1");
}
END_TEST

START_TEST(sdp_4_2_version_answers)
{
	struct pbx_sdp_session ours, clock;
	struct pbx_sdp_media m;
	const char *sdp = sample("yealink"), *hold = sample("yealink_hold");
	char *body = NULL;

	pbx_sdp_session_init(&ours, 5);
	ck_assert_int_eq(offer(sdp, &m), 0);
	ck_assert_uint_eq(o_version(answer_out(&ours, sdp, &m)), 1);
	ck_assert_uint_eq(o_version(answer_out(&ours, sdp, &m)), 1);
	ck_assert_int_eq(offer(hold, &m), 0);
	ck_assert_uint_eq(o_version(answer_out(&ours, hold, &m)), 2);
	/* a new port on our side is a change too */
	ck_assert_int_eq(pbx_sdp_make_answer(&ours, hold, strlen(hold), &m,
					     OUR_IP, OUR_PORT + 2, &body), 0);
	ck_assert_uint_eq(o_version(keep(body)), 3);
	/* offers and answers of one leg share the counter */
	ck_assert_uint_eq(o_version(our_offer(&ours, 4000,
					      PBX_SDP_SENDRECV)), 4);

	pbx_sdp_session_init(&clock, 0);
	ck_assert_uint_ne(clock.id, 0);
	ck_assert(!clock.sent);
}
END_TEST

/* ---- 5. Our offer, and the answer to it ---- */

START_TEST(sdp_5_1_offer_lines)
{
	struct pbx_sdp_session ours;
	const char *o;

	pbx_sdp_session_init(&ours, 3);
	o = our_offer(&ours, 40000, PBX_SDP_SENDRECV);
	ck_assert_int_eq(line_at(o, "v=0"), 0);
	ck_assert_int_eq(line_at(o, "o=pbxd 3 1 IN IP4 10.0.0.1"), 1);
	ck_assert_int_eq(line_at(o, "s=pbxd"), 2);
	ck_assert_int_eq(line_at(o, "c=IN IP4 10.0.0.1"), 3);
	ck_assert_int_eq(line_at(o, "t=0 0"), 4);
	ck_assert_int_eq(line_at(o, "m=audio 40000 RTP/AVP 0 8 101"), 5);
	ck_has(o, "a=rtpmap:0 PCMU/8000");
	ck_has(o, "a=rtpmap:8 PCMA/8000");
	ck_has(o, "a=rtpmap:101 telephone-event/8000");
	ck_has(o, "a=fmtp:101 0-16");
	ck_has(o, "a=ptime:20");
	ck_has(o, "a=sendrecv");
	ck_has(our_offer(&ours, 40000, PBX_SDP_SENDONLY), "a=sendonly");
	ck_has(our_offer(&ours, 40000, PBX_SDP_RECVONLY), "a=recvonly");
	ck_has(our_offer(&ours, 40000, PBX_SDP_INACTIVE), "a=inactive");
}
END_TEST

START_TEST(sdp_5_2_offer_prefs_and_errors)
{
	struct pbx_sdp_session ours;
	struct pbx_sdp_prefs p;
	char *body = NULL;

	pbx_sdp_session_init(&ours, 3);
	pbx_sdp_prefs_default(&p);
	ck_assert_int_eq(pbx_sdp_prefs_parse(&p, "PCMA"), 0);
	p.dtmf = false;
	ck_assert_int_eq(pbx_sdp_make_offer(&ours, &p, "::1", 40000,
					    PBX_SDP_SENDRECV, &body), 0);
	keep(body);
	ck_has(body, "m=audio 40000 RTP/AVP 8");
	ck_has(body, "c=IN IP6 ::1");
	ck_assert_ptr_null(strstr(body, "telephone-event"));

	body = NULL;
	p.codecc = 0;
	ck_assert_int_eq(pbx_sdp_make_offer(&ours, &p, OUR_IP, 40000,
					    PBX_SDP_SENDRECV, &body), EINVAL);
	ck_assert_int_eq(pbx_sdp_make_offer(&ours, NULL, "1.2.3", 40000,
					    PBX_SDP_SENDRECV, &body), EINVAL);
	ck_assert_int_eq(pbx_sdp_make_offer(&ours, NULL, OUR_IP, 40000,
					    (enum pbx_sdp_dir)7, &body),
			 EINVAL);
	ck_assert_int_eq(pbx_sdp_make_offer(&ours, NULL, OUR_IP, 40000,
					    PBX_SDP_SENDRECV, NULL), EINVAL);
	ck_assert_ptr_null(body);
}
END_TEST

START_TEST(sdp_5_3_answer_prefs)
{
	struct pbx_sdp_prefs p;
	struct pbx_sdp_media m;
	const char *a = sample("asterisk_answer");

	ck_assert_int_eq(answer_in(a, &m), 0);
	ck_assert_int_eq(m.codec, PBX_CODEC_PCMA);
	ck_assert_int_eq(m.dtmf_pt, 101);
	ck_assert_str_eq(m.dtmf_fmtp, "0-16");
	ck_assert_str_eq(m.addr, "203.0.113.5");
	ck_assert_uint_eq(m.port, 18542);

	/* we offered PCMU only: a PCMA answer fails the leg */
	pbx_sdp_prefs_default(&p);
	ck_assert_int_eq(pbx_sdp_prefs_parse(&p, "PCMU"), 0);
	ck_assert_int_eq(pbx_sdp_parse_answer(a, strlen(a), &p, &m, why,
					      sizeof(why)), ENOTSUP);
	ck_why("no common codec");
}
END_TEST

/* Two pbxd legs talking: our offer, read and answered by the far side,
 * its answer read back; then hold from our side.
 */
START_TEST(sdp_5_4_offer_answer_roundtrip)
{
	struct pbx_sdp_session a, b;
	struct pbx_sdp_media mb, ma;
	const char *o;
	char *body = NULL;

	pbx_sdp_session_init(&a, 1);
	pbx_sdp_session_init(&b, 2);
	o = our_offer(&a, 40000, PBX_SDP_SENDRECV);
	ck_assert_int_eq(offer(o, &mb), 0);
	ck_assert_int_eq(mb.codec, PBX_CODEC_PCMU);
	ck_assert_int_eq(mb.dtmf_pt, PBX_SDP_DTMF_PT);
	ck_assert_str_eq(mb.dtmf_fmtp, PBX_SDP_DTMF_FMTP);
	ck_assert_int_eq(pbx_sdp_make_answer(&b, o, strlen(o), &mb,
					     "192.0.2.99", 50000, &body), 0);
	ck_assert_int_eq(answer_in(keep(body), &ma), 0);
	ck_assert_str_eq(ma.addr, "192.0.2.99");
	ck_assert_uint_eq(ma.port, 50000);
	ck_assert_int_eq(ma.codec, PBX_CODEC_PCMU);
	ck_assert_int_eq(ma.dtmf_pt, PBX_SDP_DTMF_PT);
	ck_assert_uint_eq(ma.origin_id, 2);
	ck_assert_uint_eq(ma.origin_version, 1);

	o = our_offer(&a, 40000, PBX_SDP_SENDONLY);
	ck_assert_int_eq(offer(o, &mb), 0);
	ck_assert(mb.hold);
	ck_assert_uint_eq(mb.origin_version, 2);
	ck_assert_int_eq(pbx_sdp_make_answer(&b, o, strlen(o), &mb,
					     "192.0.2.99", 50000, &body), 0);
	ck_assert_int_eq(answer_in(keep(body), &ma), 0);
	ck_assert_int_eq(ma.dir, PBX_SDP_RECVONLY);
	ck_assert(!ma.hold);
}
END_TEST

/* ---- 6. Bad input: refused with a reason, never a crash ---- */

START_TEST(sdp_6_1_empty_and_garbage)
{
	static const char nul[] = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n\0s=-\r\n";
	struct pbx_sdp_media m;
	const char *s = sample("sipp_uac");

	ck_assert_int_eq(pbx_sdp_parse_offer(NULL, 0, NULL, &m, why,
					     sizeof(why)), EBADMSG);
	ck_why("empty");
	ck_assert_int_eq(pbx_sdp_parse_offer("", 0, NULL, &m, why,
					     sizeof(why)), EBADMSG);
	ck_assert_int_eq(pbx_sdp_parse_offer(nul, sizeof(nul) - 1, NULL, &m,
					     why, sizeof(why)), EBADMSG);
	ck_why("NUL byte");
	ck_assert_int_eq(pbx_sdp_parse_offer(s, strlen(s), NULL, NULL, why,
					     sizeof(why)), EINVAL);
	/* no room for a reason is fine */
	ck_assert_int_eq(pbx_sdp_parse_offer("x", 1, NULL, &m, NULL, 0),
			 EBADMSG);
	ck_assert_int_eq(pbx_sdp_parse_offer("x", 1, NULL, &m, why, 1),
			 EBADMSG);
	ck_assert_str_eq(why, "");
}
END_TEST

START_TEST(sdp_6_2_truncated)
{
	const char *sdp = sample("linphone");
	struct pbx_sdp_media m;
	size_t n, len = strlen(sdp);

	/* every prefix: an error with a reason, or a usable stream */
	for (n = 0; n < len; n++) {
		memset(why, 0, sizeof(why));
		if (pbx_sdp_parse_offer(sdp, n, NULL, &m, why, sizeof(why)))
			ck_assert_msg(why[0] != '\0', "no reason at %zu", n);
		else
			ck_assert_int_eq(m.codec, PBX_CODEC_PCMU);
		memset(why, 0, sizeof(why));
		if (pbx_sdp_parse_answer(sdp, n, NULL, &m, why, sizeof(why)))
			ck_assert_msg(why[0] != '\0', "no reason at %zu", n);
	}
}
END_TEST

START_TEST(sdp_6_3_size_limits)
{
	struct pbx_sdp_media m;
	size_t size = PBX_SDP_MAX_LEN + 1, used;
	char *b = malloc(size + 1);
	int i;

	keep(b);
	memset(b, 'x', size);
	b[size] = '\0';
	ck_assert_int_eq(pbx_sdp_parse_offer(b, size, NULL, &m, why,
					     sizeof(why)), EMSGSIZE);
	ck_why("too large (65537 bytes, limit 65536)");

	/* just under the limit, with lots of attributes, is fine */
	used = (size_t)snprintf(b, size, "%s", sample("sipp_uac"));
	while (used + 40 < PBX_SDP_MAX_LEN)
		used += (size_t)snprintf(b + used, size - used,
					 "a=x-padding:%030zu\r\n", used);
	ck_assert_int_eq(pbx_sdp_parse_offer(b, used, NULL, &m, why,
					     sizeof(why)), 0);

	used = (size_t)snprintf(b, size, "%s", sample("sipp_uac"));
	for (i = 0; i < PBX_SDP_MAX_MLINES; i++)
		used += (size_t)snprintf(b + used, size - used,
					 "m=video %d RTP/AVP 31\r\n", i);
	ck_assert_int_eq(pbx_sdp_parse_offer(b, used, NULL, &m, why,
					     sizeof(why)), EMSGSIZE);
	ck_why("too many m= lines (33, limit 32)");
}
END_TEST

START_TEST(sdp_6_4_reason_is_quotable)
{
	struct pbx_sdp_media m;
	const char *p;

	/* the reason goes into a Warning header's quoted-string */
	ck_assert_int_eq(offer(mk("c=IN IP4 a\"b\\c\x01\xff\n" M0), &m),
			 EBADMSG);
	for (p = why; *p; p++)
		ck_assert_msg(*p >= 0x20 && *p < 0x7f && *p != '"' &&
			      *p != '\\', "why: %s", why);
	ck_why("a?b?c??");
}
END_TEST

/* Random damage to good SDP: whatever comes out, no crash, no hang,
 * and every accepted offer can be answered.
 */
START_TEST(sdp_6_5_fuzz)
{
	static const char junk[] = "\r\n =:/0189aAmcv-\t\x80\xff";
	const char *seeds[] = { sample("yealink"), sample("linphone"),
				sample("polycom"), sample("baresip") };
	struct pbx_sdp_session ours;
	struct pbx_sdp_media m;
	unsigned long x = 12345;
	char b[2048], *body;
	size_t len;
	int i, j;

	pbx_sdp_session_init(&ours, 1);
	for (i = 0; i < 1200; i++) {
		len = (size_t)snprintf(b, sizeof(b), "%s", seeds[i % 4]);
		for (j = 0; j < 1 + i % 5; j++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			b[(x >> 33) % len] = junk[(x >> 20) % (sizeof(junk) -
							       1)];
		}
		if (i % 7 == 0)
			len = (x >> 40) % len;
		if (pbx_sdp_parse_offer(b, len, NULL, &m, why, sizeof(why))) {
			ck_assert(why[0] != '\0');
		} else {
			body = NULL;
			ck_assert_int_eq(pbx_sdp_make_answer(&ours, b, len, &m,
							     OUR_IP, OUR_PORT,
							     &body), 0);
			free(body);
		}
		pbx_sdp_parse_answer(b, len, NULL, &m, why, sizeof(why));
	}
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static TCase *tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, NULL, teardown);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *sdp_suite(void)
{
	Suite *s = suite_create("sdp");
	TCase *tc;

	tc = tcase(s, "phones");
	tcase_add_loop_test(tc, sdp_1_1_offer_phones, 0, N(phones));

	tc = tcase(s, "offer");
	tcase_add_loop_test(tc, sdp_2_1_rules, 0, nrules);
	tcase_add_test(tc, sdp_2_2_offer_no_common_codec_reason);
	tcase_add_test(tc, sdp_2_3_offer_prefs);
	tcase_add_test(tc, sdp_2_4_prefs_parse);
	tcase_add_test(tc, sdp_2_5_media_choose_and_names);

	tc = tcase(s, "answer");
	tcase_add_test(tc, sdp_3_1_answer_lines);
	tcase_add_test(tc, sdp_3_2_answer_keeps_peer_pts);
	tcase_add_test(tc, sdp_3_3_answer_rejects_other_streams);
	tcase_add_test(tc, sdp_3_4_answer_first_usable_audio);
	tcase_add_test(tc, sdp_3_5_answer_ipv6_and_codec_choice);
	tcase_add_test(tc, sdp_3_6_answer_bad_arguments);

	tc = tcase(s, "version");
	tcase_add_test(tc, sdp_4_1_version_offers);
	tcase_add_test(tc, sdp_4_2_version_answers);

	tc = tcase(s, "our_offer");
	tcase_add_test(tc, sdp_5_1_offer_lines);
	tcase_add_test(tc, sdp_5_2_offer_prefs_and_errors);
	tcase_add_test(tc, sdp_5_3_answer_prefs);
	tcase_add_test(tc, sdp_5_4_offer_answer_roundtrip);

	tc = tcase(s, "bad_input");
	tcase_set_timeout(tc, 60);  /* valgrind runs it too */
	tcase_add_test(tc, sdp_6_1_empty_and_garbage);
	tcase_add_test(tc, sdp_6_2_truncated);
	tcase_add_test(tc, sdp_6_3_size_limits);
	tcase_add_test(tc, sdp_6_4_reason_is_quotable);
	tcase_add_test(tc, sdp_6_5_fuzz);

	return s;
}

int main(void)
{
	static char text[32768];
	SRunner *sr;
	int failed, i;

	if (read_data("rules.txt", text, sizeof(text)) < 0)
		return EXIT_FAILURE;
	rules_load(text);
	sr = srunner_create(sdp_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (i = 0; i < nrules; i++) {
		free(rules[i].name);
		free(rules[i].expect);
		free(rules[i].body);
	}
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

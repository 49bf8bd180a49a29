/* sip/sdp.c - SDP offer/answer for one leg (see sdp.h). Sofia-SIP's
 * sdp_parse() and sdp_print() do the syntax; this file decides what we
 * accept and what we say. It keeps no state between calls.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/sdp.h>

#include "sip/sdp.h"

#define ORIGIN_USER "pbxd"
#define SUBJECT     "pbxd"
#define DTMF_NAME   "telephone-event"
#define CODEC_RATE  8000

/* ---- Small helpers ---- */

/* The reason ends up in a Warning header's quoted-string (RFC 3261
 * 20.43) and in the log, and parts of it come from the peer: keep it
 * printable and free of quotes and backslashes.
 */
static void setwhy(char *why, size_t whysz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void setwhy(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (!why || !whysz)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
	for (s = why; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e ||
		    *s == '"' || *s == '\\')
			*s = '?';
}

const char *pbx_sdp_codec_name(enum pbx_codec codec)
{
	switch (codec) {
	case PBX_CODEC_PCMU:
		return "PCMU";
	case PBX_CODEC_PCMA:
		return "PCMA";
	default:
		return "none";
	}
}

const char *pbx_sdp_dir_name(enum pbx_sdp_dir dir)
{
	switch (dir) {
	case PBX_SDP_SENDONLY:
		return "sendonly";
	case PBX_SDP_RECVONLY:
		return "recvonly";
	case PBX_SDP_INACTIVE:
		return "inactive";
	default:
		return "sendrecv";
	}
}

static enum pbx_codec codec_by_name(const char *name)
{
	if (!strcasecmp(name, "PCMU"))
		return PBX_CODEC_PCMU;
	if (!strcasecmp(name, "PCMA"))
		return PBX_CODEC_PCMA;
	return PBX_CODEC_NONE;
}

/* RFC 3264 6.1: sendonly is answered recvonly and the reverse. */
static enum pbx_sdp_dir dir_mirror(enum pbx_sdp_dir dir)
{
	return (enum pbx_sdp_dir)(((dir & 1) << 1) | ((dir & 2) >> 1));
}

/* FNV-1a: enough to tell whether our new SDP differs from the last. */
static uint64_t hash_text(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* ---- Preferences and o= state ---- */

void pbx_sdp_prefs_default(struct pbx_sdp_prefs *prefs)
{
	prefs->codecv[0] = PBX_CODEC_PCMU;
	prefs->codecv[1] = PBX_CODEC_PCMA;
	prefs->codecc = 2;
	prefs->dtmf = true;
}

int pbx_sdp_prefs_parse(struct pbx_sdp_prefs *prefs, const char *list)
{
	enum pbx_codec v[PBX_SDP_MAX_CODECS];
	char name[16];
	unsigned c = 0, i;
	size_t n;

	if (!prefs || !list)
		return EINVAL;

	for (;;) {
		list += strspn(list, ", \t");
		n = strcspn(list, ", \t");
		if (!n)
			break;
		if (n >= sizeof(name) || c == PBX_SDP_MAX_CODECS)
			return EINVAL;
		memcpy(name, list, n);
		name[n] = '\0';
		list += n;

		v[c] = codec_by_name(name);
		if (v[c] == PBX_CODEC_NONE)
			return EINVAL;
		for (i = 0; i < c; i++)
			if (v[i] == v[c])
				return EINVAL;
		c++;
	}
	if (!c)
		return EINVAL;

	memcpy(prefs->codecv, v, sizeof(v[0]) * c);
	prefs->codecc = c;
	return 0;
}

void pbx_sdp_session_init(struct pbx_sdp_session *ours, uint64_t id)
{
	struct timespec ts;

	if (!id) {
		/* RFC 4566 5.2 suggests an NTP-like time stamp; the
		 * microsecond clock keeps legs of one node apart. */
		clock_gettime(CLOCK_REALTIME, &ts);
		id = (uint64_t)ts.tv_sec * 1000000u +
			(uint64_t)ts.tv_nsec / 1000u;
	}
	ours->id = id;
	ours->version = 0;
	ours->hash = 0;
	ours->sent = false;
}

static bool prefs_allow(const struct pbx_sdp_prefs *prefs,
			enum pbx_codec codec)
{
	unsigned i;

	for (i = 0; i < prefs->codecc; i++)
		if (prefs->codecv[i] == codec)
			return true;
	return false;
}

/* ---- Reading a peer's SDP ---- */

static bool is_token(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') ||
		(c && strchr("-!#$%&'*+.^_`{|}~", c));
}

/* Sofia-SIP 1.12.11 (Debian 12) allocates without end on an m= line of
 * a non-RTP transport whose format list has a word starting outside the
 * token set, e.g. "m=image 1 udptl /": one INVITE could eat all memory.
 * So only m= lines of the RFC 4566 5.14 shape reach it: <media> <port>
 * [/<count>] <proto> <fmt>..., split by blanks, <media> and every <fmt>
 * tokens, <proto> tokens joined by "/". <s> is the line after "m=".
 */
static bool mline_ok(const char *s, size_t n)
{
	size_t i = 0, start, field = 0, slash;

	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n)
			return field >= 3;
		start = i;
		slash = 0;
		for (; i < n && s[i] != ' ' && s[i] != '\t'; i++) {
			if (s[i] == '/' && (field == 1 || field == 2))
				slash++;
			else if (field == 1 ? (s[i] < '0' || s[i] > '9') :
				 !is_token(s[i]))
				return false;
		}
		if (field == 1 && (slash > 1 || s[start] == '/' ||
				   s[i - 1] == '/'))
			return false;
		field++;
	}
}

/* Checks Sofia-SIP's parser does not make: size, NUL bytes (it would
 * silently stop there), the m= line shape (see mline_ok()) and more
 * than one session-level c= line (it would silently keep the last; RFC
 * 4566 5.7 allows one). Line starts follow its rules: CR and LF both end
 * lines, blanks before a line are skipped.
 */
static int precheck(const char *body, size_t len, char *why, size_t whysz)
{
	unsigned sess_c = 0, mlines = 0;
	size_t i = 0, start;

	if (!body || !len) {
		setwhy(why, whysz, "empty SDP body");
		return EBADMSG;
	}
	if (len > PBX_SDP_MAX_LEN) {
		setwhy(why, whysz, "SDP too large (%zu bytes, limit %u)",
		       len, PBX_SDP_MAX_LEN);
		return EMSGSIZE;
	}
	if (memchr(body, '\0', len)) {
		setwhy(why, whysz, "SDP contains a NUL byte");
		return EBADMSG;
	}

	while (i < len) {
		while (i < len && (body[i] == ' ' || body[i] == '\t' ||
				   body[i] == '\r' || body[i] == '\n'))
			i++;
		start = i;
		while (i < len && body[i] != '\r' && body[i] != '\n')
			i++;
		if (i - start < 2 || body[start + 1] != '=')
			continue;
		if (body[start] == 'm') {
			mlines++;
			if (!mline_ok(body + start + 2, i - start - 2)) {
				setwhy(why, whysz, "malformed SDP: bad m= "
				       "line %u", mlines);
				return EBADMSG;
			}
		} else if (body[start] == 'c' && !mlines) {
			sess_c++;
		}
	}

	if (sess_c > 1) {
		setwhy(why, whysz, "malformed SDP: %u c= lines at session "
		       "level", sess_c);
		return EBADMSG;
	}
	if (mlines > PBX_SDP_MAX_MLINES) {
		setwhy(why, whysz, "SDP has too many m= lines (%u, limit %u)",
		       mlines, PBX_SDP_MAX_MLINES);
		return EMSGSIZE;
	}
	return 0;
}

/* Parse <body> with a parser living in <home>. We pass sdp_f_c_missing
 * because Sofia-SIP would refuse the whole SDP when any stream, even a
 * video one we reject anyway, lacks a c= line; stream_read() checks the
 * audio stream's own.
 */
static int parse(su_home_t *home, const char *body, size_t len,
		 sdp_session_t **sessp, char *why, size_t whysz)
{
	sdp_parser_t *p;
	sdp_session_t *sess;
	const char *msg;
	int err;

	err = precheck(body, len, why, whysz);
	if (err)
		return err;

	p = sdp_parse(home, body, (issize_t)len, sdp_f_c_missing);
	if (!sdp_parser_home(p)) {
		/* Sofia-SIP's static out-of-memory parser */
		setwhy(why, whysz, "out of memory");
		return ENOMEM;
	}
	sess = sdp_session(p);
	if (!sess) {
		msg = sdp_parsing_error(p);
		setwhy(why, whysz, "malformed SDP: %s", msg);
		/* Its allocation failures read like this, from the start. */
		return strncmp(msg, "memory exhausted", 16) ? EBADMSG : ENOMEM;
	}
	*sessp = sess;
	return 0;
}

/* The codec <rm> stands for: a static payload type without rtpmap
 * carries Sofia-SIP's well-known entry, a dynamic one without rtpmap an
 * empty encoding, which matches nothing.
 */
static enum pbx_codec rtpmap_codec(const sdp_rtpmap_t *rm)
{
	if (!rm->rm_encoding || rm->rm_rate != CODEC_RATE)
		return PBX_CODEC_NONE;
	/* Mono only; "PCMU/8000/1" says the same as "PCMU/8000". */
	if (rm->rm_params && strcmp(rm->rm_params, "1"))
		return PBX_CODEC_NONE;
	return codec_by_name(rm->rm_encoding);
}

static bool rtpmap_is_dtmf(const sdp_rtpmap_t *rm)
{
	return rm->rm_encoding && rm->rm_rate == CODEC_RATE &&
		!strcasecmp(rm->rm_encoding, DTMF_NAME);
}

/* Name the formats of <m> for a "no common codec" reason. */
static void list_formats(const sdp_media_t *m, char *buf, size_t size)
{
	const sdp_rtpmap_t *rm;
	size_t used = 0;
	int n;

	buf[0] = '\0';
	for (rm = m->m_rtpmaps; rm && used < size; rm = rm->rm_next) {
		if (rm->rm_encoding && *rm->rm_encoding)
			n = snprintf(buf + used, size - used, "%s%s/%lu",
				     used ? " " : "", rm->rm_encoding,
				     rm->rm_rate);
		else
			n = snprintf(buf + used, size - used, "%sPT%u",
				     used ? " " : "", (unsigned)rm->rm_pt);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Fill the codec lists of <out> from <m>: every PCMU/PCMA that <prefs>
 * allows, in the peer's order, and the first telephone-event/8000.
 */
static int pick_codecs(const sdp_media_t *m,
		       const struct pbx_sdp_prefs *prefs,
		       struct pbx_sdp_media *out, char *why, size_t whysz)
{
	const sdp_rtpmap_t *rm;
	enum pbx_codec codec;
	char fmts[96], ours[16];
	unsigned i;

	out->codecc = 0;
	out->dtmf_pt = -1;
	out->dtmf_fmtp[0] = '\0';

	for (rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
		if (prefs->dtmf && out->dtmf_pt < 0 && rtpmap_is_dtmf(rm)) {
			out->dtmf_pt = rm->rm_pt;
			if (rm->rm_fmtp)
				snprintf(out->dtmf_fmtp,
					 sizeof(out->dtmf_fmtp), "%s",
					 rm->rm_fmtp);
			continue;
		}
		codec = rtpmap_codec(rm);
		if (codec == PBX_CODEC_NONE || !prefs_allow(prefs, codec))
			continue;
		for (i = 0; i < out->codecc; i++)
			if (out->codecv[i] == codec)
				break;
		if (i < out->codecc)
			continue;  /* the same codec twice: first PT wins */
		out->codecv[out->codecc] = codec;
		out->ptv[out->codecc] = rm->rm_pt;
		out->codecc++;
	}

	if (!out->codecc) {
		list_formats(m, fmts, sizeof(fmts));
		snprintf(ours, sizeof(ours), "%s%s%s",
			 pbx_sdp_codec_name(prefs->codecv[0]),
			 prefs->codecc > 1 ? " " : "",
			 prefs->codecc > 1 ?
			 pbx_sdp_codec_name(prefs->codecv[1]) : "");
		setwhy(why, whysz, "no common codec (offered: %s; "
		       "accepted: %s)", fmts, ours);
		return ENOTSUP;
	}
	out->codec = out->codecv[0];
	out->pt = out->ptv[0];
	return 0;
}

/* The RTP address of <m>: its own c= line, else the session's. */
static int read_address(const sdp_session_t *sess, const sdp_media_t *m,
			struct pbx_sdp_media *out, char *why, size_t whysz)
{
	const sdp_connection_t *c = m->m_connections;
	unsigned char bin[sizeof(struct in6_addr)];
	size_t i;

	if (!c)
		c = sess->sdp_connection;
	if (!c) {
		setwhy(why, whysz, "no c= line for the audio stream");
		return EBADMSG;
	}
	/* RFC 4566 5.7: several c= lines per stream only describe
	 * multicast layers, which a phone call never uses. */
	if (c->c_next) {
		setwhy(why, whysz, "several c= lines for the audio stream");
		return ENOTSUP;
	}
	if (c->c_mcast) {
		setwhy(why, whysz, "multicast address %s not supported",
		       c->c_address);
		return ENOTSUP;
	}

	out->family = c->c_addrtype == sdp_addr_ip6 ? AF_INET6 : AF_INET;
	/* A host name would need a DNS look-up on the loop thread. */
	if (inet_pton(out->family, c->c_address, bin) != 1 ||
	    !inet_ntop(out->family, bin, out->addr, sizeof(out->addr))) {
		setwhy(why, whysz, "c= address %s is not a numeric %s address",
		       c->c_address, out->family == AF_INET6 ? "IP6" : "IP4");
		return EBADMSG;
	}

	/* RFC 3264 8.4: c=0.0.0.0 is the RFC 2543 way to put a call on
	 * hold; "::" is its IPv6 twin. Either way the peer cannot receive,
	 * so the stream is at most sendonly. */
	for (i = 0; i < (out->family == AF_INET6 ? 16u : 4u); i++)
		if (bin[i])
			break;
	if (i == (out->family == AF_INET6 ? 16u : 4u))
		out->dir &= ~PBX_SDP_RECVONLY;
	return 0;
}

static const sdp_attribute_t *find_attr(const sdp_session_t *sess,
					const sdp_media_t *m,
					const char *name)
{
	/* Media level first; some phones put a=ptime at session level. */
	return sdp_attribute_find2(m->m_attributes, sess->sdp_attributes,
				   name);
}

/* A number from an attribute value ("20", "4001 IN IP4 ..."), or <def>
 * when it is absent or outside <lo>..<hi>: such attributes only inform.
 */
static unsigned attr_number(const sdp_attribute_t *a, unsigned long lo,
			    unsigned long hi, unsigned def)
{
	unsigned long v;
	char *end;

	if (!a || !a->a_value)
		return def;
	errno = 0;
	v = strtoul(a->a_value, &end, 10);
	if (errno || end == a->a_value || (*end && *end != ' ') ||
	    v < lo || v > hi)
		return def;
	return (unsigned)v;
}

/* Read one audio stream <m> of <sess> into <out>: 0 when we can use it,
 * else an errno and a reason.
 */
static int stream_read(const sdp_session_t *sess, const sdp_media_t *m,
		       const struct pbx_sdp_prefs *prefs,
		       struct pbx_sdp_media *out, char *why, size_t whysz)
{
	int err;

	if (m->m_rejected || !m->m_port) {
		setwhy(why, whysz, "audio stream rejected (port 0)");
		return ENOTSUP;
	}
	/* RTP/SAVP would need SRTP, RTP/AVPF is WebRTC's profile. */
	if (m->m_proto != sdp_proto_rtp) {
		setwhy(why, whysz, "audio transport %s not supported",
		       m->m_proto_name ? m->m_proto_name : "?");
		return ENOTSUP;
	}
	if (m->m_port > 65535) {
		setwhy(why, whysz, "bad audio port %lu", m->m_port);
		return EBADMSG;
	}
	if (m->m_number_of_ports > 1) {
		setwhy(why, whysz, "audio port count /%lu not supported",
		       m->m_number_of_ports);
		return ENOTSUP;
	}

	memset(out, 0, sizeof(*out));
	out->port = (unsigned)m->m_port;
	out->dir = (enum pbx_sdp_dir)(m->m_mode & PBX_SDP_SENDRECV);

	err = read_address(sess, m, out, why, whysz);
	if (err)
		return err;
	err = pick_codecs(m, prefs, out, why, whysz);
	if (err)
		return err;

	out->hold = !(out->dir & PBX_SDP_RECVONLY);
	out->ptime = attr_number(find_attr(sess, m, "ptime"), 1, 1000,
				 PBX_SDP_PTIME);
	out->rtcp_port = attr_number(find_attr(sess, m, "rtcp"), 1, 65535,
				     out->port < 65535 ? out->port + 1 : 0);
	out->origin_id = sess->sdp_origin->o_id;
	out->origin_version = sess->sdp_origin->o_version;
	return 0;
}

/* What both parsers start with: clear <why>, default <*prefsp> into
 * <defprefs> when NULL, and parse <body> into <*sessp>.
 */
static int begin(su_home_t *home, const char *body, size_t len,
		 const struct pbx_sdp_prefs **prefsp,
		 struct pbx_sdp_prefs *defprefs, sdp_session_t **sessp,
		 char *why, size_t whysz)
{
	if (why && whysz)
		why[0] = '\0';
	if (!*prefsp) {
		pbx_sdp_prefs_default(defprefs);
		*prefsp = defprefs;
	}
	return parse(home, body, len, sessp, why, whysz);
}

int pbx_sdp_parse_offer(const char *body, size_t len,
			const struct pbx_sdp_prefs *prefs,
			struct pbx_sdp_media *out, char *why, size_t whysz)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct pbx_sdp_prefs defprefs;
	struct pbx_sdp_media media;
	sdp_session_t *sess = NULL;
	const sdp_media_t *m;
	unsigned idx;
	int err, first = 0;

	if (!out)
		return EINVAL;
	err = begin(home, body, len, &prefs, &defprefs, &sess, why, whysz);
	if (err)
		goto out;

	/* RFC 3264 6: use the first audio stream that works; the reason
	 * reported is the first audio stream's, the one the peer meant. */
	for (m = sess->sdp_media, idx = 0; m; m = m->m_next, idx++) {
		if (m->m_type != sdp_media_audio)
			continue;
		err = stream_read(sess, m, prefs, &media, first ? NULL : why,
				  whysz);
		if (!err) {
			media.mline = idx;
			*out = media;
			goto out;
		}
		if (!first)
			first = err;
	}
	if (!first) {
		setwhy(why, whysz, "no audio stream in the offer");
		first = ENOTSUP;
	}
	err = first;
 out:
	su_home_deinit(home);
	return err;
}

int pbx_sdp_parse_answer(const char *body, size_t len,
			 const struct pbx_sdp_prefs *prefs,
			 struct pbx_sdp_media *out, char *why, size_t whysz)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct pbx_sdp_prefs defprefs;
	struct pbx_sdp_media media;
	sdp_session_t *sess = NULL;
	const sdp_media_t *m;
	int err;

	if (!out)
		return EINVAL;
	err = begin(home, body, len, &prefs, &defprefs, &sess, why, whysz);
	if (err)
		goto out;

	/* RFC 3264 6: the answer has our offer's single m= line first.
	 * Extra lines break that rule but carry nothing we use. */
	m = sess->sdp_media;
	if (!m) {
		setwhy(why, whysz, "no m= line in the answer");
		err = ENOTSUP;
		goto out;
	}
	if (m->m_type != sdp_media_audio) {
		setwhy(why, whysz, "answer's first stream is %s, not audio",
		       m->m_type_name ? m->m_type_name : "?");
		err = ENOTSUP;
		goto out;
	}
	/* pick_codecs() only keeps codecs <prefs> allows, which are the
	 * ones our offer listed (RFC 3264 6.1: the answer must use them). */
	err = stream_read(sess, m, prefs, &media, why, whysz);
	if (!err)
		*out = media;
 out:
	su_home_deinit(home);
	return err;
}

int pbx_sdp_media_choose(struct pbx_sdp_media *m, enum pbx_codec codec)
{
	unsigned i;

	if (!m)
		return EINVAL;
	for (i = 0; i < m->codecc && i < PBX_SDP_MAX_CODECS; i++) {
		if (m->codecv[i] == codec) {
			m->codec = codec;
			m->pt = m->ptv[i];
			return 0;
		}
	}
	return ENOENT;
}

/* ---- Writing our SDP ---- */

/* What both our offers and answers are made of; the structures are
 * Sofia-SIP's, filled in place for sdp_print().
 */
struct out_sdp {
	sdp_session_t sess;
	sdp_origin_t origin;
	sdp_connection_t conn;
	sdp_time_t time;
	sdp_media_t audio;
	sdp_rtpmap_t rtpmapv[PBX_SDP_MAX_CODECS + 1];
	sdp_attribute_t ptime;
	char addr[INET6_ADDRSTRLEN];
};

/* Session level and an empty audio stream toward <ip>:<port>. */
static int out_init(struct out_sdp *o, const char *ip, unsigned port,
		    enum pbx_sdp_dir dir)
{
	unsigned char bin[sizeof(struct in6_addr)];
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET;

	if (!port || port > 65535 || (unsigned)dir > PBX_SDP_SENDRECV ||
	    inet_pton(family, ip, bin) != 1 ||
	    !inet_ntop(family, bin, o->addr, sizeof(o->addr)))
		return EINVAL;

	memset(o, 0, offsetof(struct out_sdp, addr));
	o->conn.c_size = sizeof(o->conn);
	o->conn.c_nettype = sdp_net_in;
	o->conn.c_addrtype = family == AF_INET6 ? sdp_addr_ip6 :
		sdp_addr_ip4;
	o->conn.c_address = o->addr;
	o->conn.c_groups = 1;

	o->origin.o_size = sizeof(o->origin);
	o->origin.o_username = ORIGIN_USER;
	o->origin.o_address = &o->conn;

	o->time.t_size = sizeof(o->time);

	o->sess.sdp_size = sizeof(o->sess);
	o->sess.sdp_subject = SUBJECT;
	o->sess.sdp_connection = &o->conn;
	o->sess.sdp_time = &o->time;

	o->ptime.a_size = sizeof(o->ptime);
	o->ptime.a_name = "ptime";
	o->ptime.a_value = "20";

	o->audio.m_size = sizeof(o->audio);
	o->audio.m_type = sdp_media_audio;
	o->audio.m_type_name = "audio";
	o->audio.m_port = port;
	o->audio.m_proto = sdp_proto_rtp;
	o->audio.m_proto_name = "RTP/AVP";
	o->audio.m_attributes = &o->ptime;
	o->audio.m_mode = dir;
	return 0;
}

/* Append payload type <pt> named <name> to our audio stream. We print an
 * a=rtpmap line even for static types: RFC 4566 6 allows it and some
 * gateways look for it.
 */
static void out_rtpmap(struct out_sdp *o, unsigned *n, unsigned pt,
		       const char *name, const char *fmtp)
{
	sdp_rtpmap_t *rm = &o->rtpmapv[*n], **tail;

	rm->rm_size = sizeof(*rm);
	rm->rm_encoding = name;
	rm->rm_rate = CODEC_RATE;
	rm->rm_fmtp = fmtp;
	rm->rm_pt = pt & 127;
	for (tail = &o->audio.m_rtpmaps; *tail; tail = &(*tail)->rm_next)
		;
	*tail = rm;
	(*n)++;
}

static int print(su_home_t *home, const sdp_session_t *sess, char **textp)
{
	sdp_printer_t *pr;
	const char *msg;
	int err = 0;

	/* Mode lines always: a=sendrecv spelled out helps humans reading
	 * traces and peers that default otherwise. */
	pr = sdp_print(home, sess, NULL, 0, sdp_f_mode_always);
	msg = sdp_message(pr);
	/* Our structures are complete, so only memory can run out. */
	if (!msg || !(*textp = strdup(msg)))
		err = ENOMEM;
	sdp_printer_free(pr);
	return err;
}

/* Print <o> with the right o= version (RFC 3264 8): the first SDP of
 * the leg, and every one that differs from the previous, increments
 * it; a repeat (session refresh) keeps it. The comparison leaves out
 * the o= line itself, so it is printed twice.
 */
static int out_emit(struct pbx_sdp_session *ours, su_home_t *home,
		    struct out_sdp *o, char **bodyp)
{
	char *text = NULL;
	uint64_t h, version;
	int err;

	o->sess.sdp_origin = NULL;
	err = print(home, &o->sess, &text);
	if (err)
		return err;
	h = hash_text(text);
	free(text);

	version = ours->version;
	if (!ours->sent || h != ours->hash)
		version++;
	o->origin.o_id = ours->id;
	o->origin.o_version = version;
	o->sess.sdp_origin = &o->origin;
	err = print(home, &o->sess, &text);
	if (err)
		return err;

	ours->version = version;
	ours->hash = h;
	ours->sent = true;
	*bodyp = text;
	return 0;
}

int pbx_sdp_make_offer(struct pbx_sdp_session *ours,
		       const struct pbx_sdp_prefs *prefs,
		       const char *our_ip, unsigned our_port,
		       enum pbx_sdp_dir dir, char **bodyp)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct pbx_sdp_prefs defprefs;
	struct out_sdp o;
	unsigned i, n = 0;
	int err;

	if (!ours || !our_ip || !bodyp)
		return EINVAL;
	if (!prefs) {
		pbx_sdp_prefs_default(&defprefs);
		prefs = &defprefs;
	}
	if (!prefs->codecc || prefs->codecc > PBX_SDP_MAX_CODECS)
		return EINVAL;
	err = out_init(&o, our_ip, our_port, dir);
	if (err)
		return err;

	for (i = 0; i < prefs->codecc; i++)
		out_rtpmap(&o, &n, (unsigned)prefs->codecv[i],
			   pbx_sdp_codec_name(prefs->codecv[i]), NULL);
	if (prefs->dtmf)
		out_rtpmap(&o, &n, PBX_SDP_DTMF_PT, DTMF_NAME,
			   PBX_SDP_DTMF_FMTP);
	o.sess.sdp_media = &o.audio;

	err = out_emit(ours, home, &o, bodyp);
	su_home_deinit(home);
	return err;
}

/* A copy of the offer's stream <m> with port 0 (RFC 3264 6: a rejected
 * stream keeps its place, media type, transport and formats). Only the
 * payload type numbers of an RTP stream are kept, without rtpmaps.
 */
static sdp_media_t *reject_copy(su_home_t *home, const sdp_media_t *m)
{
	sdp_media_t *r = su_zalloc(home, sizeof(*r));
	const sdp_rtpmap_t *rm;
	sdp_rtpmap_t **tail;

	if (!r)
		return NULL;
	r->m_size = sizeof(*r);
	r->m_type = m->m_type;
	r->m_type_name = m->m_type_name;
	r->m_proto = m->m_proto;
	r->m_proto_name = m->m_proto_name;
	r->m_format = m->m_format;    /* (borrowed from the parser) */
	r->m_rejected = 1;
	r->m_mode = sdp_inactive;

	tail = &r->m_rtpmaps;
	for (rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
		*tail = su_zalloc(home, sizeof(**tail));
		if (!*tail)
			return NULL;
		(*tail)->rm_size = sizeof(**tail);
		(*tail)->rm_predef = 1;   /* no a=rtpmap line */
		(*tail)->rm_encoding = "";
		(*tail)->rm_pt = rm->rm_pt;
		tail = &(*tail)->rm_next;
	}
	return r;
}

/* True if the stream <m> the caller chose can be answered with <c>. */
static bool chosen_fits(const sdp_media_t *m, const struct pbx_sdp_media *c)
{
	const sdp_rtpmap_t *rm;
	bool codec = false, dtmf = c->dtmf_pt < 0;

	if (m->m_type != sdp_media_audio || m->m_proto != sdp_proto_rtp ||
	    m->m_rejected || !m->m_port)
		return false;
	for (rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
		if (rm->rm_pt == c->pt && rtpmap_codec(rm) == c->codec)
			codec = true;
		if ((int)rm->rm_pt == c->dtmf_pt && rtpmap_is_dtmf(rm))
			dtmf = true;
	}
	return codec && dtmf;
}

int pbx_sdp_make_answer(struct pbx_sdp_session *ours,
			const char *offer_body, size_t len,
			const struct pbx_sdp_media *chosen,
			const char *our_ip, unsigned our_port, char **bodyp)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sdp_session_t *offer = NULL;
	const sdp_media_t *m;
	sdp_media_t **tail;
	struct out_sdp o;
	unsigned idx, n = 0;
	bool found = false;
	int err;

	if (!ours || !chosen || !our_ip || !bodyp ||
	    (chosen->codec != PBX_CODEC_PCMU &&
	     chosen->codec != PBX_CODEC_PCMA) ||
	    (unsigned)chosen->dir > PBX_SDP_SENDRECV)
		return EINVAL;
	err = out_init(&o, our_ip, our_port, dir_mirror(chosen->dir));
	if (err)
		return err;

	err = parse(home, offer_body, len, &offer, NULL, 0);
	if (err)
		goto out;

	out_rtpmap(&o, &n, chosen->pt, pbx_sdp_codec_name(chosen->codec),
		   NULL);
	/* RFC 4733 2.4.1: the events listed are those we can receive. */
	if (chosen->dtmf_pt >= 0)
		out_rtpmap(&o, &n, (unsigned)chosen->dtmf_pt, DTMF_NAME,
			   PBX_SDP_DTMF_FMTP);

	tail = &o.sess.sdp_media;
	for (m = offer->sdp_media, idx = 0; m; m = m->m_next, idx++) {
		if (idx == chosen->mline && chosen_fits(m, chosen)) {
			*tail = &o.audio;
			found = true;
		} else if (!(*tail = reject_copy(home, m))) {
			err = ENOMEM;
			goto out;
		}
		tail = &(*tail)->m_next;
	}
	if (!found) {
		err = EINVAL;
		goto out;
	}

	err = out_emit(ours, home, &o, bodyp);
 out:
	su_home_deinit(home);
	return err;
}

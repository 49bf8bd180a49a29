/* sip/sdp.h - SDP offer/answer (RFC 3264) for one leg of a call: read a
 * peer's offer or answer, pick the codec, write our offer or answer.
 * Sofia-SIP's sdp.h does the parsing and printing inside sdp.c; nothing
 * here exposes its types, so the call core can use this header freely.
 *
 * Every function is pure (no global state): any thread may call it, and
 * a struct pbx_sdp_session is owned by whoever owns the leg.
 */
#ifndef PBX_SIP_SDP_H
#define PBX_SIP_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pbx/codec.h>

/* Bodies larger than this are refused unparsed (DESIGN 9: bad input must
 * not cost much); real offers, even with video and ICE, stay under 16 KB.
 */
#define PBX_SDP_MAX_LEN    65536
/* m= lines beyond this are refused: each is echoed in our answer. */
#define PBX_SDP_MAX_MLINES 32
/* Codecs we can negotiate (pbx/codec.h); bounds the arrays below. */
#define PBX_SDP_MAX_CODECS 2
/* The payload type we offer for telephone-event (RFC 4733). */
#define PBX_SDP_DTMF_PT    101
/* The events we receive: DTMF 0-9 * # A-D and flash (RFC 4733 3.2). */
#define PBX_SDP_DTMF_FMTP  "0-16"
#define PBX_SDP_PTIME      20

/* Media direction, as RFC 3264 5.1 words it from the author of the SDP.
 * The bits mean "author sends" (1) and "author receives" (2), the same
 * values as Sofia-SIP's sdp_mode_t, so mirroring is a bit swap.
 */
enum pbx_sdp_dir {
	PBX_SDP_INACTIVE = 0,
	PBX_SDP_SENDONLY = 1,
	PBX_SDP_RECVONLY = 2,
	PBX_SDP_SENDRECV = 3,
};

/* What we accept and offer, from the configuration. */
struct pbx_sdp_prefs {
	enum pbx_codec codecv[PBX_SDP_MAX_CODECS]; /* ours, best first */
	unsigned codecc;                           /* 1..MAX_CODECS */
	bool dtmf;            /* offer and accept telephone-event */
};

/* One leg's negotiated audio stream, as the peer described it. */
struct pbx_sdp_media {
	char addr[46];        /* peer RTP address, numeric ("0.0.0.0": hold) */
	unsigned port;        /* peer RTP port */
	unsigned rtcp_port;   /* a=rtcp (RFC 3605), else port + 1 */
	int family;           /* AF_INET or AF_INET6 */
	enum pbx_codec codec; /* the codec chosen for the leg */
	uint8_t pt;           /* its payload type in the peer's SDP */
	enum pbx_codec codecv[PBX_SDP_MAX_CODECS]; /* all acceptable ones, */
	uint8_t ptv[PBX_SDP_MAX_CODECS];           /* in the peer's order */
	unsigned codecc;
	int dtmf_pt;          /* peer's telephone-event/8000 PT, -1: none */
	char dtmf_fmtp[32];   /* its a=fmtp events ("0-15"), "" if absent */
	unsigned ptime;       /* peer's a=ptime, PBX_SDP_PTIME if absent */
	enum pbx_sdp_dir dir; /* peer's direction, c=0.0.0.0 folded in */
	bool hold;            /* peer does not want our media (sendonly or
			       * inactive or c=0.0.0.0): the call core plays
			       * music on hold to the other party */
	unsigned mline;       /* index of the stream among the m= lines */
	uint64_t origin_id;   /* peer's o= sess-id and sess-version: an */
	uint64_t origin_version; /* unchanged version is an unchanged SDP */
};

/* Our side of one leg's SDP exchange: the o= line (RFC 3264 8). */
struct pbx_sdp_session {
	uint64_t id;          /* o= sess-id, fixed for the leg */
	uint64_t version;     /* o= sess-version of our last SDP */
	uint64_t hash;        /* digest of our last SDP without its o= line */
	bool sent;            /* an SDP was produced before */
};

/* Fill <prefs> with the default: PCMU, PCMA, telephone-event. */
void pbx_sdp_prefs_default(struct pbx_sdp_prefs *prefs);

/* Parse the configured codec list <list>, e.g. "PCMU,PCMA" (names
 * case-insensitive, separated by commas or blanks) into <prefs>, keeping
 * prefs->dtmf. EINVAL on an unknown or repeated name or an empty list;
 * <prefs> is then unchanged.
 */
int pbx_sdp_prefs_parse(struct pbx_sdp_prefs *prefs, const char *list);

/* Start the o= state of a leg with session id <id>; 0 picks one from the
 * clock. The first SDP made for the leg carries version 1.
 */
void pbx_sdp_session_init(struct pbx_sdp_session *ours, uint64_t id);

/* Read the peer's offer <body> (<len> bytes, need not be NUL-terminated)
 * and choose the leg's codec: the first PCMU or PCMA in the peer's order
 * that <prefs> (NULL: default) allows, plus telephone-event/8000 if both
 * sides want it. The first audio stream that works is used; the others
 * will be rejected by pbx_sdp_make_answer().
 * Returns 0 and fills <out>; EBADMSG for malformed SDP, EMSGSIZE for an
 * oversized one, ENOTSUP when nothing is acceptable (no audio stream, no
 * common codec, only SRTP), ENOMEM. On error <why> (if <whysz> > 0) holds
 * a one-line reason for the Warning header of the 488 the caller sends.
 */
int pbx_sdp_parse_offer(const char *body, size_t len,
			const struct pbx_sdp_prefs *prefs,
			struct pbx_sdp_media *out, char *why, size_t whysz);

/* Read the peer's answer <body> to an offer made by pbx_sdp_make_offer()
 * with the same <prefs>. The answer's first stream must be audio, not
 * rejected, and use a codec we offered; the codec chosen is the first of
 * ours in the answer's list. Errors and <why> as pbx_sdp_parse_offer();
 * any error means the leg fails (RFC 3264 has no way to refuse an
 * answer, so the caller ends it, e.g. with BYE or CANCEL).
 */
int pbx_sdp_parse_answer(const char *body, size_t len,
			 const struct pbx_sdp_prefs *prefs,
			 struct pbx_sdp_media *out, char *why, size_t whysz);

/* Choose <codec> for a leg whose offer was read into <m>, instead of the
 * one pbx_sdp_parse_offer() picked (e.g. the codec the other leg uses,
 * to save transcoding). ENOENT if the offer did not allow it.
 */
int pbx_sdp_media_choose(struct pbx_sdp_media *m, enum pbx_codec codec);

/* Write our answer to <offer_body> (the one read into <chosen>), with our
 * RTP endpoint <our_ip> (numeric IPv4 or IPv6) and <our_port>: the chosen
 * codec and telephone-event with the peer's payload types, a=ptime:20 and
 * the direction mirrored (RFC 3264 6.1), every other m= line rejected
 * with port 0 in its place (RFC 3264 6). <ours> keeps o= id and version.
 * On success *<bodyp> is a malloc'd NUL-terminated string the caller
 * frees. EINVAL if the arguments do not fit the offer, EBADMSG if the
 * offer does not parse, ENOMEM.
 */
int pbx_sdp_make_answer(struct pbx_sdp_session *ours,
			const char *offer_body, size_t len,
			const struct pbx_sdp_media *chosen,
			const char *our_ip, unsigned our_port, char **bodyp);

/* Write our offer: <prefs> codecs (NULL: default) with their static
 * payload types, telephone-event/8000 at PBX_SDP_DTMF_PT, a=ptime:20,
 * direction <dir>, our endpoint <our_ip>:<our_port>. Used for the B leg
 * of a call, for a re-INVITE (hold: PBX_SDP_SENDONLY) and for an INVITE
 * that came without SDP (delayed offer). *<bodyp> as for the answer.
 * EINVAL on bad arguments, ENOMEM.
 */
int pbx_sdp_make_offer(struct pbx_sdp_session *ours,
		       const struct pbx_sdp_prefs *prefs,
		       const char *our_ip, unsigned our_port,
		       enum pbx_sdp_dir dir, char **bodyp);

/* "PCMU", "PCMA" or "none", for logs and the REST calls list. */
const char *pbx_sdp_codec_name(enum pbx_codec codec);

/* "sendrecv", "sendonly", "recvonly" or "inactive". */
const char *pbx_sdp_dir_name(enum pbx_sdp_dir dir);

#endif

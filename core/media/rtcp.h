/* media/rtcp.h - the minimal RTCP (RFC 3550 section 6) an anchoring PBX
 * owes its peers: building our compound report (SR or RR, at most one
 * report block, SDES CNAME), and reading the peer's for what our own
 * reports need (the LSR of its SR) and what it says about our stream.
 * No I/O, no locks.
 */
#ifndef PBX_MEDIA_RTCP_H
#define PBX_MEDIA_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PBX_RTCP_SR   200
#define PBX_RTCP_RR   201
#define PBX_RTCP_SDES 202
#define PBX_RTCP_BYE  203

/* Longest packet pbx_rtcp_build() writes, for a CNAME of up to 64. */
#define PBX_RTCP_MAX  (28 + 24 + 8 + 2 + 64 + 4)

struct pbx_rtcp_rb {          /* one report block (6.4.1) */
	uint32_t ssrc;            /* the source it is about */
	uint8_t fraction;         /* lost since the last report, 1/256 */
	int32_t lost;             /* cumulative, 24-bit signed */
	uint32_t ext_max;         /* extended highest sequence number */
	uint32_t jitter;          /* clock units */
	uint32_t lsr;             /* middle of the last SR's NTP time */
	uint32_t dlsr;            /* since that SR, 1/65536 s */
};

struct pbx_rtcp_sr {          /* sender info (6.4.1) */
	uint64_t ntp;             /* NTP time: seconds << 32 | fraction */
	uint32_t rtp_ts;          /* the same instant on the RTP clock */
	uint32_t packets;         /* RTP packets sent */
	uint32_t octets;          /* payload octets sent */
};

struct pbx_rtcp_info {        /* what pbx_rtcp_parse() found */
	bool sr;                  /* the peer sent a Sender Report */
	uint32_t sr_ssrc;
	uint32_t lsr;             /* middle 32 bits of its NTP time */
	bool rb;                  /* a report block about our stream */
	struct pbx_rtcp_rb block;
	bool bye;                 /* the peer said BYE */
};

/* Build our compound packet into <buf> (<size> >= PBX_RTCP_MAX): an SR
 * when <sr> is not NULL, else an RR, from <ssrc>; the report block <rb>
 * if not NULL; then SDES with <cname> (cut at 64 octets). Returns the
 * length, or 0 if <size> is too small.
 */
size_t pbx_rtcp_build(uint8_t *buf, size_t size, uint32_t ssrc,
		      const struct pbx_rtcp_sr *sr,
		      const struct pbx_rtcp_rb *rb, const char *cname);

/* Read the compound packet <buf> (<len> octets) into <info>; report
 * blocks about other SSRCs than <ours> are ignored. Returns 0, or
 * EBADMSG if it fails the validity checks of RFC 3550 A.2.
 */
int pbx_rtcp_parse(struct pbx_rtcp_info *info, const uint8_t *buf,
		   size_t len, uint32_t ours);

/* NTP time (RFC 5905: seconds since 1900 << 32 | fraction) of the
 * realtime clock.
 */
uint64_t pbx_rtcp_ntp_now(void);

#endif

/* media/rtcp.c - RTCP compound packets: SR/RR + SDES out, SR/RR/BYE in.
 * Scheduling and sockets are the endpoint's (report.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "media/rtcp.h"

#define NTP_UNIX_OFFSET 2208988800u   /* 1900-01-01 to 1970-01-01, s */
#define CNAME_MAX       64

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Common header: V=2, no padding, <count>, <pt>, length in 32-bit words
 * minus one.
 */
static void header(uint8_t *p, unsigned count, uint8_t pt, size_t len)
{
	p[0] = (uint8_t)(0x80 | (count & 0x1f));
	p[1] = pt;
	wr16(p + 2, (uint16_t)(len / 4 - 1));
}

static void write_rb(uint8_t *p, const struct pbx_rtcp_rb *rb)
{
	uint32_t lost = (uint32_t)rb->lost & 0xffffff;

	wr32(p, rb->ssrc);
	wr32(p + 4, (uint32_t)rb->fraction << 24 | lost);
	wr32(p + 8, rb->ext_max);
	wr32(p + 12, rb->jitter);
	wr32(p + 16, rb->lsr);
	wr32(p + 20, rb->dlsr);
}

size_t pbx_rtcp_build(uint8_t *buf, size_t size, uint32_t ssrc,
		      const struct pbx_rtcp_sr *sr,
		      const struct pbx_rtcp_rb *rb, const char *cname)
{
	size_t off, first, clen = cname ? strnlen(cname, CNAME_MAX) : 0;
	size_t sdes;

	if (size < PBX_RTCP_MAX)
		return 0;
	wr32(buf + 4, ssrc);
	off = 8;
	if (sr) {
		wr32(buf + 8, (uint32_t)(sr->ntp >> 32));
		wr32(buf + 12, (uint32_t)sr->ntp);
		wr32(buf + 16, sr->rtp_ts);
		wr32(buf + 20, sr->packets);
		wr32(buf + 24, sr->octets);
		off = 28;
	}
	if (rb) {
		write_rb(buf + off, rb);
		off += 24;
	}
	header(buf, rb ? 1 : 0, sr ? PBX_RTCP_SR : PBX_RTCP_RR, off);

	/* SDES: one chunk, CNAME item, then the END item padded to a word
	 * (6.5: at least one null octet ends the item list).
	 */
	first = off;
	wr32(buf + off + 4, ssrc);
	buf[off + 8] = 1;
	buf[off + 9] = (uint8_t)clen;
	if (clen)
		memcpy(buf + off + 10, cname, clen);
	sdes = 10 + clen;
	do
		buf[first + sdes++] = 0;
	while (sdes % 4);
	header(buf + first, 1, PBX_RTCP_SDES, sdes);
	return first + sdes;
}

/* Report blocks at <p> (<count> of them, <avail> octets): keep the one
 * about <ours>.
 */
static void read_blocks(struct pbx_rtcp_info *info, const uint8_t *p,
			unsigned count, size_t avail, uint32_t ours)
{
	for (unsigned i = 0; i < count && avail >= 24; i++, p += 24) {
		uint32_t w = rd32(p + 4);

		avail -= 24;
		if (rd32(p) != ours)
			continue;
		info->rb = true;
		info->block.ssrc = ours;
		info->block.fraction = (uint8_t)(w >> 24);
		/* Sign-extend the 24-bit cumulative loss. */
		info->block.lost = (int32_t)((w & 0xffffff) ^ 0x800000) -
				   0x800000;
		info->block.ext_max = rd32(p + 8);
		info->block.jitter = rd32(p + 12);
		info->block.lsr = rd32(p + 16);
		info->block.dlsr = rd32(p + 20);
	}
}

int pbx_rtcp_parse(struct pbx_rtcp_info *info, const uint8_t *buf,
		   size_t len, uint32_t ours)
{
	size_t off = 0;

	memset(info, 0, sizeof(*info));
	/* A.2: the first packet is an SR or RR without padding. */
	if (len < 8 || (buf[0] & 0xe0) != 0x80 ||
	    (buf[1] != PBX_RTCP_SR && buf[1] != PBX_RTCP_RR))
		return EBADMSG;
	while (off < len) {
		const uint8_t *p = buf + off;
		size_t plen;

		if (len - off < 4 || (p[0] >> 6) != 2)
			return EBADMSG;
		plen = 4 * ((size_t)((p[2] << 8) | p[3]) + 1);
		if (plen > len - off)
			return EBADMSG;
		if (p[1] == PBX_RTCP_SR && plen >= 28) {
			info->sr = true;
			info->sr_ssrc = rd32(p + 4);
			info->lsr = rd32(p + 8) << 16 | rd32(p + 12) >> 16;
			read_blocks(info, p + 28, p[0] & 0x1f, plen - 28,
				    ours);
		} else if (p[1] == PBX_RTCP_RR && plen >= 8) {
			read_blocks(info, p + 8, p[0] & 0x1f, plen - 8, ours);
		} else if (p[1] == PBX_RTCP_BYE) {
			info->bye = true;
		}
		off += plen;
	}
	return 0;
}

uint64_t pbx_rtcp_ntp_now(void)
{
	struct timespec ts;
	uint64_t frac;

	clock_gettime(CLOCK_REALTIME, &ts);
	frac = ((uint64_t)ts.tv_nsec << 32) / 1000000000u;
	return ((uint64_t)ts.tv_sec + NTP_UNIX_OFFSET) << 32 | frac;
}

/* media/rtp.c - RTP header parsing and writing (RFC 3550 section 5.1),
 * and the outgoing-stream mapping of rtp.h. The reception statistics
 * live in rtpstat.c, RTCP in rtcp.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/rtp.h"

#define DEFAULT_SAMPLES 160   /* 20 ms at 8 kHz, the usual ptime */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int pbx_rtp_parse(struct pbx_rtp_hdr *h, const uint8_t *buf, size_t len)
{
	size_t hlen, pad = 0;

	if (len < PBX_RTP_HDR || (buf[0] >> 6) != 2)
		return EBADMSG;
	if (pbx_rtp_is_rtcp(buf, len))
		return EBADMSG;
	hlen = PBX_RTP_HDR + 4u * (buf[0] & 0x0f);
	if (buf[0] & 0x10) {
		/* Extension: 16-bit profile word, 16-bit length in words. */
		if (len < hlen + 4)
			return EBADMSG;
		hlen += 4 + 4u * rd16(buf + hlen + 2);
	}
	if (len < hlen)
		return EBADMSG;
	if (buf[0] & 0x20) {
		/* Padding: the last octet counts it, itself included. */
		pad = buf[len - 1];
		if (pad == 0 || len - hlen < pad)
			return EBADMSG;
	}
	h->marker = (buf[1] & 0x80) != 0;
	h->pt = buf[1] & 0x7f;
	h->seq = rd16(buf + 2);
	h->ts = rd32(buf + 4);
	h->ssrc = rd32(buf + 8);
	h->hlen = hlen;
	h->plen = len - hlen - pad;
	return 0;
}

bool pbx_rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	return len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

void pbx_rtp_write(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq,
		   uint32_t ts, uint32_t ssrc)
{
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;
}

void pbx_rtp_out_init(struct pbx_rtp_out *o, uint32_t ssrc, uint16_t seq0,
		      uint32_t ts0)
{
	*o = (struct pbx_rtp_out){
		.ssrc = ssrc,
		/* As if a packet seq0 - 1 had just been sent at ts0 - 0,
		 * so the first real one lands exactly on seq0 and ts0.
		 */
		.seq = (uint16_t)(seq0 - 1),
		.ts = ts0,
	};
}

/* Clock units elapsed between two monotonic times, at 8 kHz. */
static uint32_t units_between(uint64_t from_ns, uint64_t to_ns)
{
	if (to_ns <= from_ns)
		return 0;
	return (uint32_t)((to_ns - from_ns) / (1000000000u / PBX_RTP_RATE));
}

bool pbx_rtp_out_map(struct pbx_rtp_out *o, uint64_t src_id, uint32_t ssrc,
		     uint16_t seq, uint32_t ts, uint32_t samples,
		     uint64_t now_ns, uint16_t *seqp, uint32_t *tsp)
{
	bool change = !o->started || o->src_id != src_id ||
		      o->src_ssrc != ssrc;
	uint16_t oseq;
	uint32_t ots;

	if (change) {
		uint32_t min = o->samples ? o->samples : DEFAULT_SAMPLES;
		uint32_t step = 0;

		if (o->started) {
			/* Advance by the real time that passed, but never
			 * less than the last packet lasted: the receiver
			 * must not play the new audio over the old.
			 */
			step = units_between(o->last_ns, now_ns);
			if (step < min)
				step = min;
		}
		o->seq_off = (uint16_t)(o->seq + 1 - seq);
		o->ts_off = o->ts + step - ts;
		o->src_id = src_id;
		o->src_ssrc = ssrc;
		o->started = true;
	}
	oseq = (uint16_t)(seq + o->seq_off);
	ots = ts + o->ts_off;
	/* Keep the highest values sent, in serial-number order (RFC 1982),
	 * so a late reordered packet does not pull them back.
	 */
	if (change || (int16_t)(oseq - o->seq) > 0)
		o->seq = oseq;
	if (change || (int32_t)(ots - o->ts) > 0)
		o->ts = ots;
	if (samples)
		o->samples = samples;
	o->last_ns = now_ns;
	*seqp = oseq;
	*tsp = ots;
	return change;
}

uint32_t pbx_rtp_out_ts_at(const struct pbx_rtp_out *o, uint64_t now_ns)
{
	if (!o->started)
		return o->ts;
	return o->ts + units_between(o->last_ns, now_ns);
}

uint16_t pbx_rtp_out_insert(struct pbx_rtp_out *o, uint64_t now_ns)
{
	if (!o->started) {
		/* Anchor the clock here, so that pbx_rtp_out_ts_at() moves
		 * on from ts0 and the first relayed packet, a new source,
		 * lands after the time that passed.
		 */
		o->started = true;
		o->src_id = 0;
		o->last_ns = now_ns;
	}
	/* The source's next packet maps one further. A packet of it that
	 * was reordered across this one lands one further too: harmless,
	 * the receiver sees a duplicate sequence number at worst.
	 */
	o->seq++;
	o->seq_off++;
	return o->seq;
}

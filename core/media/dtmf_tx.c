/* media/dtmf_tx.c - the telephone-event generator of dtmf_tx.h: which
 * packet an event needs when, and its bytes. Sending them, and when to
 * ask, is inject.c's business.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/dtmf_tx.h"
#include "media/rtp.h"

#define UNITS_PER_MS (PBX_RTP_RATE / 1000)
#define STEP_UNITS   (PBX_DTMF_TX_STEP_MS * UNITS_PER_MS)
#define STEP_NS      (PBX_DTMF_TX_STEP_MS * 1000000ull)

int pbx_dtmf_tx_code(char digit)
{
	static const char map[] = "0123456789*#ABCD";
	const char *p;

	if (digit >= 'a' && digit <= 'd')
		digit = (char)(digit - 'a' + 'A');
	if (!digit || !(p = strchr(map, digit)))
		return -1;
	return (int)(p - map);
}

int pbx_dtmf_tx_push(struct pbx_dtmf_tx *g, char digit,
		     unsigned duration_ms)
{
	int code = pbx_dtmf_tx_code(digit);
	unsigned i;

	if (!g || code < 0)
		return EINVAL;
	if (g->count == PBX_DTMF_TX_QUEUE)
		return ENOBUFS;
	if (!duration_ms)
		duration_ms = PBX_DTMF_TX_DEFAULT_MS;
	else if (duration_ms < PBX_DTMF_TX_MIN_MS)
		duration_ms = PBX_DTMF_TX_MIN_MS;
	else if (duration_ms > PBX_DTMF_TX_MAX_MS)
		duration_ms = PBX_DTMF_TX_MAX_MS;
	i = (g->head + g->count) % PBX_DTMF_TX_QUEUE;
	g->queue[i].event = (uint8_t)code;
	g->queue[i].duration = (uint16_t)(duration_ms * UNITS_PER_MS);
	g->count++;
	return 0;
}

bool pbx_dtmf_tx_busy(const struct pbx_dtmf_tx *g)
{
	return g->playing || g->count;
}

uint64_t pbx_dtmf_tx_due(const struct pbx_dtmf_tx *g)
{
	return g->next_ns;
}

void pbx_dtmf_tx_clear(struct pbx_dtmf_tx *g)
{
	g->playing = false;
	g->count = 0;
}

/* Take the oldest waiting digit as the event to send from <now_ns>. */
static void start(struct pbx_dtmf_tx *g, const struct pbx_rtp_out *o,
		  uint64_t now_ns)
{
	uint32_t ts = pbx_rtp_out_ts_at(o, now_ns);

	/* Not over the audio packet sent last: the tone begins where the
	 * next one would, as when a phone replaces its audio by events.
	 */
	if (o->started && (int32_t)(o->ts + o->samples - ts) > 0)
		ts = o->ts + o->samples;
	g->event = g->queue[g->head].event;
	g->duration = g->queue[g->head].duration;
	g->head = (g->head + 1) % PBX_DTMF_TX_QUEUE;
	g->count--;
	g->playing = true;
	/* RFC 4733 2.5.1: the event's timestamp is where it begins on
	 * the stream's clock. Audio relayed meanwhile moves on with its
	 * own timestamps; ours stays, as a phone's does.
	 */
	g->ts = ts;
	g->start_ns = now_ns;
	g->slot = 0;
	g->ends = 0;
}

size_t pbx_dtmf_tx_build(struct pbx_dtmf_tx *g, struct pbx_rtp_out *o,
			 uint8_t pt, uint64_t now_ns, uint8_t *buf)
{
	uint32_t units;
	uint16_t seq;
	bool end, first;

	if (!pbx_dtmf_tx_busy(g) || now_ns < g->next_ns)
		return 0;
	if (!g->playing)
		start(g, o, now_ns);
	first = g->slot == 0;
	/* Each update covers the step it starts (as an audio packet
	 * would); the one that reaches the full length is the end.
	 */
	units = (g->slot + 1) * STEP_UNITS;
	end = units >= g->duration;
	if (end) {
		units = g->duration;
		g->ends++;
	}
	g->slot++;
	seq = pbx_rtp_out_insert(o, now_ns);
	pbx_rtp_write(buf, pt, first, seq, g->ts, o->ssrc);
	buf[PBX_RTP_HDR] = g->event;
	buf[PBX_RTP_HDR + 1] = (uint8_t)((end ? 0x80 : 0) |
					 PBX_DTMF_TX_VOLUME);
	buf[PBX_RTP_HDR + 2] = (uint8_t)(units >> 8);
	buf[PBX_RTP_HDR + 3] = (uint8_t)units;
	/* Slots keep to the event's start, so a late thread catches up
	 * rather than stretching the event. After the last end, the next
	 * event may start one slot later.
	 */
	g->next_ns = g->start_ns + g->slot * STEP_NS;
	if (g->ends == PBX_DTMF_TX_ENDS)
		g->playing = false;
	return PBX_DTMF_TX_PKT;
}

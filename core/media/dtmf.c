/* media/dtmf.c - RFC 4733 telephone-event payload and digit detection.
 * Relaying the packets themselves is the relay's business (relay.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/dtmf.h"
#include "media/rtp.h"

int pbx_dtmf_parse(struct pbx_dtmf_ev *ev, const uint8_t *p, size_t len)
{
	if (len < 4)
		return EBADMSG;
	ev->event = p[0];
	ev->end = (p[1] & 0x80) != 0;
	ev->volume = p[1] & 0x3f;
	ev->duration = (uint16_t)((p[2] << 8) | p[3]);
	return 0;
}

char pbx_dtmf_char(uint8_t event)
{
	static const char map[] = "0123456789*#ABCD";

	return event < sizeof(map) - 1 ? map[event] : 0;
}

/* Report the open event into <out> if it is a digit; closes it either
 * way. Returns 1 if a digit was written.
 */
static unsigned complete(struct pbx_dtmf_rx *d, struct pbx_dtmf_digit *out)
{
	char c = pbx_dtmf_char(d->event);

	d->active = false;
	d->done = true;
	if (!c)
		return 0;
	out->digit = c;
	out->duration_ms = d->duration / (PBX_RTP_RATE / 1000);
	return 1;
}

unsigned pbx_dtmf_rx_feed(struct pbx_dtmf_rx *d, uint32_t ts,
			  const struct pbx_dtmf_ev *ev, uint64_t now_ns,
			  struct pbx_dtmf_digit out[2])
{
	unsigned n = 0;

	if (d->active || d->done) {
		if (ts == d->ts) {
			/* The same event: a repeated end changes nothing. */
			if (d->done)
				return 0;
			d->last_ns = now_ns;
			if (ev->duration > d->duration)
				d->duration = ev->duration;
			return ev->end ? complete(d, &out[0]) : 0;
		}
		if (d->active)
			n = complete(d, &out[0]);
	}
	d->active = true;
	d->done = false;
	d->ts = ts;
	d->event = ev->event;
	d->duration = ev->duration;
	d->last_ns = now_ns;
	if (ev->end)
		n += complete(d, &out[n]);
	return n;
}

bool pbx_dtmf_rx_flush(struct pbx_dtmf_rx *d, uint64_t now_ns,
		       uint64_t idle_ns, struct pbx_dtmf_digit *out)
{
	if (!d->active || now_ns - d->last_ns < idle_ns)
		return false;
	return complete(d, out) != 0;
}

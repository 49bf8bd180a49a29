/* media/rtpstat.c - RFC 3550 appendix A.1, A.3 and A.8, transcribed:
 * sequence tracking with wrap-around, loss and jitter per source.
 */
#include <stdbool.h>
#include <stdint.h>

#include "media/rtpstat.h"

#define SEQ_MOD      (1u << 16)
#define MAX_DROPOUT  3000     /* A.1: jump still taken as in order */
#define MAX_MISORDER 100      /* A.1: late packet still taken as late */

static void init_seq(struct pbx_rtpstat *s, uint32_t ssrc, uint16_t seq)
{
	s->active = true;
	s->ssrc = ssrc;
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1;    /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
	s->have_transit = false;
	s->jitter = 0;
}

bool pbx_rtpstat_seq(struct pbx_rtpstat *s, uint32_t ssrc, uint16_t seq)
{
	uint16_t udelta;

	if (!s->active || s->ssrc != ssrc) {
		init_seq(s, ssrc, seq);
		s->received++;
		return true;
	}
	udelta = (uint16_t)(seq - s->max_seq);
	if (udelta < MAX_DROPOUT) {
		/* In order, with a permissible gap. */
		if (seq < s->max_seq)
			s->cycles += SEQ_MOD;
		s->max_seq = seq;
	} else if (udelta <= SEQ_MOD - MAX_MISORDER) {
		/* A very large jump: believe it when the next packet
		 * follows it (the sender restarted), else ignore it.
		 */
		if (seq == s->bad_seq) {
			init_seq(s, ssrc, seq);
		} else {
			s->bad_seq = (seq + 1u) & (SEQ_MOD - 1);
			return false;
		}
	}
	/* else a duplicate or reordered packet: counted, max unchanged. */
	s->received++;
	return true;
}

void pbx_rtpstat_jitter(struct pbx_rtpstat *s, uint32_t ts,
			uint32_t arrival)
{
	uint32_t transit = arrival - ts;
	int32_t d;

	if (!s->have_transit) {
		s->transit = transit;
		s->have_transit = true;
		return;
	}
	d = (int32_t)(transit - s->transit);
	s->transit = transit;
	if (d < 0)
		d = -d;
	/* J += (|D| - J) / 16, kept scaled by 16 to stay in integers. */
	s->jitter += (uint32_t)d - ((s->jitter + 8) >> 4);
}

uint32_t pbx_rtpstat_ext_max(const struct pbx_rtpstat *s)
{
	return s->cycles + s->max_seq;
}

static uint32_t expected(const struct pbx_rtpstat *s)
{
	return pbx_rtpstat_ext_max(s) - s->base_seq + 1;
}

int32_t pbx_rtpstat_lost(const struct pbx_rtpstat *s)
{
	int64_t lost;

	if (!s->active)
		return 0;
	lost = (int64_t)expected(s) - (int64_t)s->received;
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	else if (lost < -0x800000)
		lost = -0x800000;
	return (int32_t)lost;
}

uint8_t pbx_rtpstat_fraction(struct pbx_rtpstat *s)
{
	uint32_t exp, exp_int, rcv_int;
	int64_t lost_int;

	if (!s->active)
		return 0;
	exp = expected(s);
	exp_int = exp - s->expected_prior;
	s->expected_prior = exp;
	rcv_int = s->received - s->received_prior;
	s->received_prior = s->received;
	lost_int = (int64_t)exp_int - (int64_t)rcv_int;
	if (exp_int == 0 || lost_int <= 0)
		return 0;
	if (lost_int >= exp_int)
		return 255;
	return (uint8_t)((lost_int << 8) / exp_int);
}

uint32_t pbx_rtpstat_jitter_units(const struct pbx_rtpstat *s)
{
	return s->jitter >> 4;
}

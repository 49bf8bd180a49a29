/* media/rtpstat.h - reception statistics of one RTP source, as RFC 3550
 * appendix A computes them: extended highest sequence number, packets
 * lost, fraction lost per report interval, and interarrival jitter. They
 * feed our RTCP report blocks and the endpoint stats. No locks: callers
 * serialise.
 */
#ifndef PBX_MEDIA_RTPSTAT_H
#define PBX_MEDIA_RTPSTAT_H

#include <stdbool.h>
#include <stdint.h>

struct pbx_rtpstat {
	bool active;              /* a packet was counted */
	uint32_t ssrc;            /* the source these numbers are about */
	uint16_t max_seq;         /* highest sequence number seen */
	uint32_t cycles;          /* wraps of max_seq, shifted by 16 */
	uint32_t base_seq;        /* first sequence number */
	uint32_t bad_seq;         /* last "very large jump" + 1 (A.1) */
	uint32_t received;        /* packets counted */
	uint32_t expected_prior;  /* at the last report */
	uint32_t received_prior;  /* at the last report */
	uint32_t transit;         /* last relative transit time (A.8) */
	bool have_transit;
	uint32_t jitter;          /* scaled by 16, clock units (A.8) */
};

/* Count a packet with <seq> from <ssrc> (RFC 3550 A.1, without the
 * probation: we already accept the source by latching). A new SSRC
 * starts the numbers over. Returns false for a packet that A.1 refuses
 * (the first of a very large sequence jump); it is still relayed.
 */
bool pbx_rtpstat_seq(struct pbx_rtpstat *s, uint32_t ssrc, uint16_t seq);

/* Fold the packet with RTP timestamp <ts>, which arrived at <arrival> (in
 * the same clock units), into the jitter estimate (A.8). Audio only:
 * telephone-event timestamps stand still during an event.
 */
void pbx_rtpstat_jitter(struct pbx_rtpstat *s, uint32_t ts,
			uint32_t arrival);

/* Extended highest sequence number received (A.3). */
uint32_t pbx_rtpstat_ext_max(const struct pbx_rtpstat *s);

/* Cumulative packets lost (A.3): expected minus received, negative when
 * duplicates outnumber losses, clamped to the 24-bit RTCP field.
 */
int32_t pbx_rtpstat_lost(const struct pbx_rtpstat *s);

/* Fraction lost since the previous call, in 1/256 (A.3), and start the
 * next interval. Called once per report sent.
 */
uint8_t pbx_rtpstat_fraction(struct pbx_rtpstat *s);

/* Jitter in clock units, as the report block carries it. */
uint32_t pbx_rtpstat_jitter_units(const struct pbx_rtpstat *s);

#endif

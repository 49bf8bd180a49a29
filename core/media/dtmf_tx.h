/* media/dtmf_tx.h - sending digits as RFC 4733 telephone-events: a small
 * queue of digits for one outgoing stream, and the packets of the one
 * playing (section 2.5). No I/O, no locks, the clock is the caller's:
 * the media thread's side is inject.c, the receiving side dtmf.h.
 */
#ifndef PBX_MEDIA_DTMF_TX_H
#define PBX_MEDIA_DTMF_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/rtp.h"

#define PBX_DTMF_TX_QUEUE      16   /* digits waiting, per stream */
#define PBX_DTMF_TX_DEFAULT_MS 100  /* a digit of unknown length */
#define PBX_DTMF_TX_MIN_MS     40   /* shorter is not detected reliably */
#define PBX_DTMF_TX_MAX_MS     2000
#define PBX_DTMF_TX_STEP_MS    20   /* between the packets of an event */
#define PBX_DTMF_TX_ENDS       3    /* end packets (RFC 4733 2.5.1.4) */
#define PBX_DTMF_TX_VOLUME     10   /* -dBm0, what phones send */
#define PBX_DTMF_TX_PKT        (PBX_RTP_HDR + 4)

struct pbx_dtmf_tx {
	struct {
		uint8_t event;
		uint16_t duration;    /* clock units */
	} queue[PBX_DTMF_TX_QUEUE];
	unsigned head;                /* oldest waiting */
	unsigned count;

	/* The event being sent. */
	bool playing;
	uint8_t event;
	uint16_t duration;            /* its length, clock units */
	uint32_t ts;                  /* its RTP timestamp: its start */
	uint64_t start_ns;            /* when its first packet went */
	unsigned slot;                /* packets of it sent */
	unsigned ends;                /* end packets among them */
	uint64_t next_ns;             /* the next packet, or next event */
};

/* The RFC 4733 event code of <digit> ('0'-'9', '*', '#', 'A'-'D', also
 * 'a'-'d'), or -1.
 */
int pbx_dtmf_tx_code(char digit);

/* Queue <digit> lasting <duration_ms> (0: PBX_DTMF_TX_DEFAULT_MS; else
 * clamped to PBX_DTMF_TX_MIN_MS..PBX_DTMF_TX_MAX_MS) on generator <g>,
 * which must start zeroed. Returns 0, EINVAL for a bad digit, or
 * ENOBUFS when PBX_DTMF_TX_QUEUE digits already wait.
 */
int pbx_dtmf_tx_push(struct pbx_dtmf_tx *g, char digit,
		     unsigned duration_ms);

/* True while an event is being sent or digits wait. */
bool pbx_dtmf_tx_busy(const struct pbx_dtmf_tx *g);

/* When <g>'s next packet is due (monotonic ns; only if busy). */
uint64_t pbx_dtmf_tx_due(const struct pbx_dtmf_tx *g);

/* Drop the event being sent and every digit waiting. */
void pbx_dtmf_tx_clear(struct pbx_dtmf_tx *g);

/* Write into <buf> (PBX_DTMF_TX_PKT octets) the packet of <g> due at
 * <now_ns>, if any, for stream <o> with payload type <pt>: a new event
 * takes the stream's timestamp at <now_ns> (or the end of the audio
 * packet sent last, if later) and the marker bit; every
 * packet takes the stream's next sequence number (pbx_rtp_out_insert()).
 * Updates every PBX_DTMF_TX_STEP_MS carry the growing duration; the end
 * is sent PBX_DTMF_TX_ENDS times, and the next digit starts one step
 * later (at least 40 ms without tone). Returns the packet's length, 0
 * when nothing is due.
 */
size_t pbx_dtmf_tx_build(struct pbx_dtmf_tx *g, struct pbx_rtp_out *o,
			 uint8_t pt, uint64_t now_ns, uint8_t *buf);

#endif

/* media/rtp.h - the RTP wire format (RFC 3550 section 5.1): parsing a
 * received header, writing ours, and the per-stream mapping that keeps an
 * outgoing stream's sequence numbers and timestamps continuous when the
 * stream feeding it changes. No I/O, no locks: callers serialise.
 */
#ifndef PBX_MEDIA_RTP_H
#define PBX_MEDIA_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PBX_RTP_HDR  12       /* fixed header, what we send */
#define PBX_RTP_RATE 8000     /* G.711 and telephone-event clock, Hz */

struct pbx_rtp_hdr {
	uint8_t pt;           /* payload type */
	bool marker;          /* M bit */
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	size_t hlen;          /* payload offset: header, CSRCs, extension */
	size_t plen;          /* payload length, padding excluded */
};

/* Parse the RTP packet <buf> of <len> bytes into <h>: version 2, CSRC
 * list, header extension and padding all within <len>. Returns 0, or
 * EBADMSG for anything else (including RTCP, see pbx_rtp_is_rtcp()).
 */
int pbx_rtp_parse(struct pbx_rtp_hdr *h, const uint8_t *buf, size_t len);

/* True if <buf> looks like RTCP (RFC 5761 section 4: second octet 192 to
 * 223), which a peer may send to the RTP port if it assumed rtcp-mux.
 */
bool pbx_rtp_is_rtcp(const uint8_t *buf, size_t len);

/* Write a fixed 12-byte header (no CSRC, extension or padding) at <buf>.
 */
void pbx_rtp_write(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq,
		   uint32_t ts, uint32_t ssrc);

/* One outgoing stream: our SSRC, and the offsets from the stream feeding
 * it (its source) to ours. A source is an endpoint (later a player) plus
 * the SSRC it receives; when either changes, the offsets are recomputed
 * so our sequence numbers go on by one and our timestamps by the time
 * that passed, and the first packet after the change carries the marker.
 */
struct pbx_rtp_out {
	uint32_t ssrc;            /* ours, fixed for the stream's life */
	bool started;             /* a packet was sent */
	uint64_t src_id;          /* source feeding us (its unique id) */
	uint32_t src_ssrc;        /* and the SSRC it received */
	uint16_t seq_off;         /* out seq = in seq + seq_off */
	uint32_t ts_off;          /* out ts = in ts + ts_off */
	uint16_t seq;             /* highest sequence number sent */
	uint32_t ts;              /* highest timestamp sent */
	uint64_t last_ns;         /* monotonic time of the last packet sent */
	uint32_t samples;         /* duration of the last audio packet */
};

/* Start stream <o> with SSRC <ssrc>; its first packet gets sequence
 * number <seq0> and timestamp <ts0> (random, RFC 3550 section 5.1).
 */
void pbx_rtp_out_init(struct pbx_rtp_out *o, uint32_t ssrc, uint16_t seq0,
		      uint32_t ts0);

/* Map a packet (<seq>, <ts>) from source <src_id>/<ssrc>, received at
 * <now_ns>, onto stream <o>; <samples> is its audio duration in clock
 * units (0 for events, which do not advance the clock). Writes the
 * outgoing values to <*seqp> and <*tsp>; returns true if the source
 * changed here (the packet must carry the marker bit).
 */
bool pbx_rtp_out_map(struct pbx_rtp_out *o, uint64_t src_id, uint32_t ssrc,
		     uint16_t seq, uint32_t ts, uint32_t samples,
		     uint64_t now_ns, uint16_t *seqp, uint32_t *tsp);

/* The timestamp stream <o> would carry at <now_ns>: the last one sent
 * plus the time since (for the RTP timestamp of a Sender Report).
 */
uint32_t pbx_rtp_out_ts_at(const struct pbx_rtp_out *o, uint64_t now_ns);

/* Take the next sequence number of stream <o> for a packet of the PBX's
 * own (a generated telephone-event, dtmf_tx.h) sent at <now_ns>. The
 * source feeding <o> goes on right after it, without a marker. A stream
 * that has not started starts here, with no source (ids start at 1).
 * Returns the sequence number.
 */
uint16_t pbx_rtp_out_insert(struct pbx_rtp_out *o, uint64_t now_ns);

#endif

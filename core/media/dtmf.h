/* media/dtmf.h - RFC 4733 telephone-events: parsing the event payload,
 * and a per-stream detector that turns the packets of one event (a start,
 * updates, and an end sent three times) into exactly one digit report.
 * No I/O, no locks: callers serialise.
 */
#ifndef PBX_MEDIA_DTMF_H
#define PBX_MEDIA_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pbx_dtmf_ev {
	uint8_t event;            /* 0-9, 10 '*', 11 '#', 12-15 A-D, ... */
	bool end;                 /* E bit */
	uint8_t volume;           /* -dBm0, 0-63 */
	uint16_t duration;        /* clock units since the event began */
};

struct pbx_dtmf_digit {
	char digit;               /* '0'-'9', '*', '#', 'A'-'D' */
	unsigned duration_ms;
};

/* Detector state for one received stream. */
struct pbx_dtmf_rx {
	bool active;              /* an event is open (seen, not reported) */
	bool done;                /* the event at <ts> was reported */
	uint32_t ts;              /* RTP timestamp naming the event */
	uint8_t event;
	uint16_t duration;        /* longest duration seen */
	uint64_t last_ns;         /* when its last packet arrived */
};

/* Parse the first event of telephone-event payload <p> (<len> octets).
 * Returns 0 or EBADMSG if shorter than one event (4 octets).
 */
int pbx_dtmf_parse(struct pbx_dtmf_ev *ev, const uint8_t *p, size_t len);

/* The digit of DTMF event code <event>, or 0 for other events (flash,
 * tones), which are relayed but not reported.
 */
char pbx_dtmf_char(uint8_t event);

/* Feed the event <ev> of a packet with timestamp <ts> received at <now_ns>
 * to detector <d>. Writes the digits completed by it to <out> and returns
 * their number (0 to 2): the digit whose end packet this is, once per
 * event however often the end is repeated, and the previous event if its
 * end packets were all lost (RFC 4733 2.5.1.4: a new timestamp starts a
 * new event).
 */
unsigned pbx_dtmf_rx_feed(struct pbx_dtmf_rx *d, uint32_t ts,
			  const struct pbx_dtmf_ev *ev, uint64_t now_ns,
			  struct pbx_dtmf_digit out[2]);

/* Complete an open event that has seen no packet for <idle_ns> (its end
 * was lost and nothing followed). Returns true and fills <*out> then.
 */
bool pbx_dtmf_rx_flush(struct pbx_dtmf_rx *d, uint64_t now_ns,
		       uint64_t idle_ns, struct pbx_dtmf_digit *out);

#endif

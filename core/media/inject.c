/* media/inject.c - packets the PBX puts into an endpoint's outgoing
 * stream itself: digits as RFC 4733 telephone-events (a keypress that
 * came by SIP INFO, played to the other party). The loop queues them;
 * the endpoint's media thread sends them on time, between the packets
 * it relays. What the packets hold is dtmf_tx.c's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "media/dtmf_tx.h"
#include "media/media_int.h"

int pbx_media_ep_send_dtmf(struct pbx_media_ep *ep, char digit,
			   unsigned duration_ms)
{
	struct media_thread *t;
	int err;

	if (!ep || pbx_dtmf_tx_code(digit) < 0)
		return EINVAL;
	pthread_mutex_lock(&ep->tx_lock);
	err = ep->dtmf_pt < 0 ? ENOTSUP
			      : pbx_dtmf_tx_push(&ep->dtx, digit, duration_ms);
	pthread_mutex_unlock(&ep->tx_lock);
	if (err)
		return err;

	/* Tell its thread, which keeps its own list of endpoints with
	 * digits to send, so that it need not look at every endpoint.
	 */
	t = ep->thr;
	pthread_mutex_lock(&t->lock);
	if (!ep->kicked) {
		ep->kicked = true;
		ep->kick_next = t->kick;
		t->kick = ep;
	}
	pthread_mutex_unlock(&t->lock);
	media_thr_wake(t);
	return 0;
}

void media_inject_kicked(struct media_thread *t, struct pbx_media_ep *ep)
{
	ep->play_due = 0;
	if (ep->playing)
		return;
	ep->playing = true;
	ep->play_prev = NULL;
	ep->play_next = t->playing;
	if (t->playing)
		t->playing->play_prev = ep;
	t->playing = ep;
}

void media_inject_forget(struct media_thread *t, struct pbx_media_ep *ep)
{
	if (!ep->playing)
		return;
	if (ep->play_prev)
		ep->play_prev->play_next = ep->play_next;
	else
		t->playing = ep->play_next;
	if (ep->play_next)
		ep->play_next->play_prev = ep->play_prev;
	ep->playing = false;
}

uint64_t media_inject_due(const struct media_thread *t)
{
	uint64_t due = UINT64_MAX;

	for (const struct pbx_media_ep *ep = t->playing; ep;
	     ep = ep->play_next)
		if (ep->play_due < due)
			due = ep->play_due;
	return due;
}

/* Send <ep>'s packet due at <now>, if any. Returns false once it has
 * nothing more to send.
 */
static bool play(struct pbx_media_ep *ep, uint64_t now)
{
	uint8_t pkt[PBX_DTMF_TX_PKT];
	size_t len;
	bool busy;

	pthread_mutex_lock(&ep->tx_lock);
	/* A re-INVITE took telephone-event away: the rest is lost. */
	if (ep->dtmf_pt < 0)
		pbx_dtmf_tx_clear(&ep->dtx);
	len = pbx_dtmf_tx_build(&ep->dtx, &ep->out, (uint8_t)ep->dtmf_pt,
				now, pkt);
	/* Without a destination (hold) the digit plays to nobody, as
	 * relayed audio would. Sent under the lock, as the relay does:
	 * the packets of both must leave in sequence order.
	 */
	if (len && ep->has_dest) {
		ep->rtp_out++;
		ep->bytes_out += len;
		ep->octets_out += len - PBX_RTP_HDR;
		ep->sent_since_report = true;
		(void)sendto(ep->rtp.fd, pkt, len, MSG_DONTWAIT,
			     &ep->dest.sa, media_addr_len(&ep->dest));
	}
	busy = pbx_dtmf_tx_busy(&ep->dtx);
	ep->play_due = pbx_dtmf_tx_due(&ep->dtx);
	pthread_mutex_unlock(&ep->tx_lock);
	return busy;
}

void media_inject_run(struct media_thread *t, uint64_t now)
{
	struct pbx_media_ep *ep, *next;

	for (ep = t->playing; ep; ep = next) {
		next = ep->play_next;
		if (ep->play_due > now)
			continue;
		/* One packet per endpoint and turn: a late thread catches
		 * up over the next turns, which do not wait (play_due).
		 */
		if (!play(ep, now))
			media_inject_forget(t, ep);
	}
}

/* media/ports.h - the RTP/RTCP port pairs of the configured range: an
 * even RTP port and RTCP one above (RFC 3550 11), both bound before the
 * pair is handed out. Thread-safe: the loop opens, media threads close.
 */
#ifndef PBX_MEDIA_PORTS_H
#define PBX_MEDIA_PORTS_H

#include "media/media.h"

struct pbx_media_ports;

/* Manage the pairs of [<min>, <max>] on address <ip>. Returns 0, EINVAL
 * if the range holds no pair, or ENOMEM.
 */
int pbx_media_ports_alloc(struct pbx_media_ports **pp,
			  const union pbx_media_addr *ip, unsigned min,
			  unsigned max);

void pbx_media_ports_free(struct pbx_media_ports *p);

/* Bind the next free pair, round robin so a port just released is the
 * last to be reused (late packets of an old call stay out of a new one).
 * Writes non-blocking, close-on-exec sockets to <*rtp_fd>, <*rtcp_fd>
 * and the RTP port to <*portp>. Returns 0, EADDRINUSE when no pair of
 * the range can be bound, or the errno of socket().
 */
int pbx_media_ports_open(struct pbx_media_ports *p, int *rtp_fd,
			 int *rtcp_fd, unsigned *portp);

/* Close the sockets of a pair from pbx_media_ports_open() and free it. */
void pbx_media_ports_close(struct pbx_media_ports *p, unsigned port,
			   int rtp_fd, int rtcp_fd);

#endif

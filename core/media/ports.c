/* media/ports.c - the port pair allocator. A bitmap marks the pairs we
 * hold; a pair we do not hold may still be taken by another process, so
 * a pair is only ours once both binds succeeded.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media/ports.h"

/* DSCP EF (RFC 3246, RFC 4594 "telephony"), shifted into the TOS byte. */
#define TOS_EF 0xb8

struct pbx_media_ports {
	pthread_mutex_t lock;
	union pbx_media_addr ip;  /* bind address, port 0 */
	socklen_t iplen;
	unsigned base;            /* first RTP port (even) */
	unsigned npairs;
	unsigned next;            /* pair to try first */
	uint8_t *held;            /* bitmap of the pairs held */
};

int pbx_media_ports_alloc(struct pbx_media_ports **pp,
			  const union pbx_media_addr *ip, unsigned min,
			  unsigned max)
{
	struct pbx_media_ports *p;
	unsigned base = (min + 1) & ~1u;

	if (!pp || !ip || max > 65535 || base == 0 || base + 1 > max)
		return EINVAL;
	if (ip->sa.sa_family != AF_INET && ip->sa.sa_family != AF_INET6)
		return EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	p->base = base;
	p->npairs = (max - base + 1) / 2;
	p->held = calloc((p->npairs + 7) / 8, 1);
	if (!p->held) {
		free(p);
		return ENOMEM;
	}
	p->ip = *ip;
	p->iplen = ip->sa.sa_family == AF_INET ? sizeof(ip->in)
					       : sizeof(ip->in6);
	pthread_mutex_init(&p->lock, NULL);
	*pp = p;
	return 0;
}

void pbx_media_ports_free(struct pbx_media_ports *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->held);
	free(p);
}

static bool is_held(const struct pbx_media_ports *p, unsigned i)
{
	return p->held[i / 8] & (1u << (i % 8));
}

static void set_held(struct pbx_media_ports *p, unsigned i, bool on)
{
	if (on)
		p->held[i / 8] |= (uint8_t)(1u << (i % 8));
	else
		p->held[i / 8] &= (uint8_t)~(1u << (i % 8));
}

static int open_sock(const struct pbx_media_ports *p, int *fdp)
{
	int tos = TOS_EF, fd;

	fd = socket(p->ip.sa.sa_family,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	/* Best effort: a network that ignores DSCP loses nothing. */
	if (p->ip.sa.sa_family == AF_INET)
		(void)setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	else
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos,
				 sizeof(tos));
	*fdp = fd;
	return 0;
}

static int bind_port(const struct pbx_media_ports *p, int fd,
		     unsigned port)
{
	union pbx_media_addr a = p->ip;

	if (a.sa.sa_family == AF_INET)
		a.in.sin_port = htons((uint16_t)port);
	else
		a.in6.sin6_port = htons((uint16_t)port);
	return bind(fd, &a.sa, p->iplen) == 0 ? 0 : errno;
}

/* Try pair <i> with the two unbound sockets; on failure they stay
 * unbound (a failed bind leaves a socket as it was) for the next try.
 */
static int try_pair(const struct pbx_media_ports *p, unsigned i,
		    int *rtp_fd, int *rtcp_fd)
{
	unsigned port = p->base + 2 * i;
	int err;

	err = bind_port(p, *rtp_fd, port);
	if (err)
		return err;
	err = bind_port(p, *rtcp_fd, port + 1);
	if (err) {
		/* The RTP socket is bound now; only a new one is free. */
		int fd, e2 = open_sock(p, &fd);

		if (e2)
			return e2;
		close(*rtp_fd);
		*rtp_fd = fd;
	}
	return err;
}

int pbx_media_ports_open(struct pbx_media_ports *p, int *rtp_fd,
			 int *rtcp_fd, unsigned *portp)
{
	int err, a = -1, b = -1;

	if (!p || !rtp_fd || !rtcp_fd || !portp)
		return EINVAL;
	err = open_sock(p, &a);
	if (!err)
		err = open_sock(p, &b);
	if (err)
		goto out;

	pthread_mutex_lock(&p->lock);
	err = EADDRINUSE;
	for (unsigned n = 0; n < p->npairs; n++) {
		unsigned i = (p->next + n) % p->npairs;
		int e;

		if (is_held(p, i))
			continue;
		e = try_pair(p, i, &a, &b);
		if (e == EADDRINUSE)
			continue;
		if (e) {
			err = e;
			break;
		}
		set_held(p, i, true);
		p->next = (i + 1) % p->npairs;
		*portp = p->base + 2 * i;
		err = 0;
		break;
	}
	pthread_mutex_unlock(&p->lock);
 out:
	if (err) {
		if (a >= 0)
			close(a);
		if (b >= 0)
			close(b);
	} else {
		*rtp_fd = a;
		*rtcp_fd = b;
	}
	return err;
}

void pbx_media_ports_close(struct pbx_media_ports *p, unsigned port,
			   int rtp_fd, int rtcp_fd)
{
	unsigned i = (port - p->base) / 2;

	close(rtp_fd);
	close(rtcp_fd);
	pthread_mutex_lock(&p->lock);
	if (i < p->npairs)
		set_held(p, i, false);
	pthread_mutex_unlock(&p->lock);
}

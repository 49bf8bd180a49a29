/* sip/source.c - where a request really came from (not its Via): the
 * address a NATed phone is reached at, and what per-source limits key on.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <sofia-sip/msg_addr.h>

#include "sip/sip_int.h"

void pbx_sip_source(msg_t *msg, char ip[INET6_ADDRSTRLEN], unsigned *portp,
		    const char **transportp)
{
	su_addrinfo_t *ai = msg_addrinfo(msg);
	const struct sockaddr *sa = ai ? (const void *)ai->ai_addr : NULL;
	unsigned port = 0;

	ip[0] = '\0';
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, ip, INET6_ADDRSTRLEN);
		port = ntohs(in->sin_port);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, INET6_ADDRSTRLEN);
		port = ntohs(in6->sin6_port);
	}
	if (portp)
		*portp = port;
	if (transportp)
		*transportp = ai && ai->ai_protocol == IPPROTO_TCP ? "tcp" :
			      "udp";
}

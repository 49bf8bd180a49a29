/* sip/auth.h - SIP Digest authentication for the registrar (and later
 * INVITE): finds and parses credentials with Sofia's parser, verifies
 * them with our own MD5/SHA-256 code (util/digest.c) against stored
 * HA1s, and builds challenges with stateless nonces.
 */
#ifndef PBX_SIP_AUTH_H
#define PBX_SIP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include <sofia-sip/auth_digest.h>
#include <sofia-sip/sip.h>

#include <pbx/cfg.h>

#include "util/nonce.h"

struct pbx_user;

enum pbx_auth_verdict {
	PBX_AUTH_OK = 0,
	PBX_AUTH_STALE,           /* right answer to an expired nonce */
	PBX_AUTH_RECHALLENGE,     /* not our nonce, or algorithm not offered */
	PBX_AUTH_REJECT,          /* wrong answer, unknown or disabled user */
};

/* Room for the WWW-Authenticate values of one challenge. */
#define PBX_AUTH_CHALLENGE_MAX 256

/* Find the Digest credentials for <realm> among the Authorization
 * headers of <sip> and parse them into <ar> (strings in <home>).
 * 0 if found, ENOENT if none for this realm, EINVAL if unparsable.
 */
int pbx_auth_find(su_home_t *home, const sip_t *sip, const char *realm,
		  auth_response_t *ar);

/* The same among the headers of list <list> (Proxy-Authorization for
 * an INVITE, RFC 3261 22.3).
 */
int pbx_auth_find_in(su_home_t *home, const msg_auth_t *list,
		     const char *realm, auth_response_t *ar);

/* Judge <ar> for <method>. <user> NULL, unknown or disabled gives
 * REJECT after the same work as a known one. <algs> is what was offered.
 */
enum pbx_auth_verdict pbx_auth_verify(const auth_response_t *ar,
				      const struct pbx_user *user,
				      const char *realm, const char *method,
				      const struct pbx_nonce_key *key,
				      unsigned ttl,
				      enum pbx_cfg_auth_algs algs);

/* Write the one or two WWW-Authenticate values for <algs> (in offer
 * order) into <out>[0..1]; unused entries become "". <stale> marks an
 * expired nonce (RFC 7616 3.3). Returns how many were written.
 */
int pbx_auth_challenge(char out[2][PBX_AUTH_CHALLENGE_MAX],
		       const char *realm, const struct pbx_nonce_key *key,
		       enum pbx_cfg_auth_algs algs, bool stale);

#endif

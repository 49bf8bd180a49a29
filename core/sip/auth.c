/* sip/auth.c - Digest credentials and challenges (see auth.h). Sofia's
 * auth module is MD5-only, so it only parses here; the digests are ours.
 */
#define PBX_LOG_TAG "auth"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <pbx/log.h>

#include "db/users.h"
#include "sip/auth.h"
#include "util/digest.h"

int pbx_auth_find(su_home_t *home, const sip_t *sip, const char *realm,
		  auth_response_t *ar)
{
	return pbx_auth_find_in(home, sip->sip_authorization, realm, ar);
}

int pbx_auth_find_in(su_home_t *home, const msg_auth_t *list,
		     const char *realm, auth_response_t *ar)
{
	for (const msg_auth_t *au = list; au; au = au->au_next) {
		auth_response_t r[1] = {{ .ar_size = sizeof(r[0]) }};

		if (!au->au_scheme || strcasecmp(au->au_scheme, "Digest") ||
		    !au->au_params)
			continue;
		if (auth_digest_response_get(home, r, au->au_params) < 0)
			return EINVAL;
		if (!r->ar_realm || strcmp(r->ar_realm, realm))
			continue;
		if (!r->ar_username || !r->ar_nonce || !r->ar_uri ||
		    !r->ar_response)
			return EINVAL;
		*ar = *r;
		return 0;
	}
	return ENOENT;
}

static bool offered(enum pbx_cfg_auth_algs algs, enum pbx_digest_alg alg)
{
	if (alg == PBX_DIGEST_MD5)
		return algs != PBX_AUTH_SHA256;
	return algs != PBX_AUTH_MD5;
}

enum pbx_auth_verdict pbx_auth_verify(const auth_response_t *ar,
				      const struct pbx_user *user,
				      const char *realm, const char *method,
				      const struct pbx_nonce_key *key,
				      unsigned ttl,
				      enum pbx_cfg_auth_algs algs)
{
	enum pbx_digest_alg alg;
	char expect[PBX_DIGEST_HEX_MAX];
	const char *ha1;
	int nonce_err;
	bool good;

	if (pbx_digest_alg_parse(ar->ar_algorithm, &alg) ||
	    !offered(algs, alg))
		return PBX_AUTH_RECHALLENGE;
	nonce_err = pbx_nonce_check(key, ar->ar_nonce, time(NULL), ttl);
	if (nonce_err && nonce_err != ETIMEDOUT)
		return PBX_AUTH_RECHALLENGE;
	/* We offer qop="auth" only; auth-int bodies are not checked. */
	if (ar->ar_qop && strcasecmp(ar->ar_qop, "auth"))
		return PBX_AUTH_RECHALLENGE;

	/* Unknown and disabled users cost the same hashing as known ones,
	 * so timing does not tell them apart either.
	 */
	ha1 = "00000000000000000000000000000000";
	if (user && user->known)
		ha1 = alg == PBX_DIGEST_MD5 ? user->ha1_md5 : user->ha1_sha256;
	if (pbx_digest_response(alg, ha1, ar->ar_nonce, ar->ar_nc,
				ar->ar_cnonce, ar->ar_qop, method, ar->ar_uri,
				expect))
		return PBX_AUTH_REJECT;
	good = pbx_digest_equal(expect, ar->ar_response);
	if (!user || !user->known || !user->enabled)
		return PBX_AUTH_REJECT;
	if (user->realm && strcmp(user->realm, realm)) {
		PBX_WARN("user %s has secrets for realm '%s', not '%s': "
			 "set the password again", user->ext, user->realm,
			 realm);
		return PBX_AUTH_REJECT;
	}
	if (!good)
		return PBX_AUTH_REJECT;
	return nonce_err == ETIMEDOUT ? PBX_AUTH_STALE : PBX_AUTH_OK;
}

static void challenge_one(char *out, const char *realm, const char *nonce,
			  enum pbx_digest_alg alg, bool stale)
{
	snprintf(out, PBX_AUTH_CHALLENGE_MAX,
		 "Digest realm=\"%s\", nonce=\"%s\", algorithm=%s, "
		 "qop=\"auth\"%s", realm, nonce, pbx_digest_alg_name(alg),
		 stale ? ", stale=true" : "");
}

int pbx_auth_challenge(char out[2][PBX_AUTH_CHALLENGE_MAX],
		       const char *realm, const struct pbx_nonce_key *key,
		       enum pbx_cfg_auth_algs algs, bool stale)
{
	char nonce[PBX_NONCE_MAX];
	enum pbx_digest_alg order[2];
	int n = 0;

	out[0][0] = out[1][0] = '\0';
	if (pbx_nonce_make(key, time(NULL), nonce, sizeof(nonce)))
		return 0;
	switch (algs) {
	case PBX_AUTH_SHA256:
		order[n++] = PBX_DIGEST_SHA256;
		break;
	case PBX_AUTH_SHA256_MD5:
		order[n++] = PBX_DIGEST_SHA256;
		order[n++] = PBX_DIGEST_MD5;
		break;
	case PBX_AUTH_MD5_SHA256:
		order[n++] = PBX_DIGEST_MD5;
		order[n++] = PBX_DIGEST_SHA256;
		break;
	case PBX_AUTH_MD5:
	default:
		order[n++] = PBX_DIGEST_MD5;
		break;
	}
	for (int i = 0; i < n; i++)
		challenge_one(out[i], realm, nonce, order[i], stale);
	return n;
}

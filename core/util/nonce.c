/* core/util/nonce.c - stateless digest nonces: "<time hex>.<mac hex>",
 * the mac a truncated HMAC-SHA-256 of the time text. Replay limits
 * (nonce-count) and the stale= answer belong to core/sip/auth.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/digest.h"
#include "util/nonce.h"

#define TS_LEN    16                      /* hex digits of the time */
#define MAC_LEN   32                      /* hex digits of the mac */
#define NONCE_LEN (TS_LEN + 1 + MAC_LEN)  /* without the NUL */

static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* HMAC-SHA-256 (RFC 2104) over a prefetched digest: OpenSSL 3's HMAC()
 * fetches the algorithm and builds a MAC context at every call, which
 * showed up at several percent of the registrar's CPU under load.
 * The key (32 bytes) is shorter than the block, so it is used as is.
 */
static int hmac_sha256(const struct pbx_nonce_key *k,
		       const unsigned char *msg, size_t len,
		       unsigned char *md, unsigned *mdlen)
{
	unsigned char pad[64], inner[EVP_MAX_MD_SIZE];
	unsigned ilen = 0;
	EVP_MD_CTX *ctx;
	int ok;

	pthread_once(&sha256_once, sha256_fetch);
	if (!sha256 || !(ctx = EVP_MD_CTX_new()))
		return EIO;
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < sizeof(k->key); i++)
		pad[i] ^= k->key[i];
	ok = EVP_DigestInit_ex(ctx, sha256, NULL) &&
	     EVP_DigestUpdate(ctx, pad, sizeof(pad)) &&
	     EVP_DigestUpdate(ctx, msg, len) &&
	     EVP_DigestFinal_ex(ctx, inner, &ilen);
	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < sizeof(k->key); i++)
		pad[i] ^= k->key[i];
	ok = ok && EVP_DigestInit_ex(ctx, sha256, NULL) &&
	     EVP_DigestUpdate(ctx, pad, sizeof(pad)) &&
	     EVP_DigestUpdate(ctx, inner, ilen) &&
	     EVP_DigestFinal_ex(ctx, md, mdlen);
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(pad, sizeof(pad));
	return ok ? 0 : EIO;
}

/* Only 128 bits of the HMAC are kept: plenty against forgery, and the
 * nonce comes back in every Authorization header, so shorter is better.
 */
static int mac_hex(const struct pbx_nonce_key *k, const char *ts,
		   char out[MAC_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (hmac_sha256(k, (const unsigned char *)ts, TS_LEN, md, &mdlen) ||
	    mdlen * 2 < MAC_LEN)
		return EIO;

	pbx_digest_hex(md, MAC_LEN / 2, out);
	return 0;
}

/* True if <s> holds <n> lower-case hex digits: we only ever write those,
 * so anything else was not made here.
 */
static bool is_lhex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}

	return true;
}

/* Derive <k> from <secret> as SHA-256(secret), so every node configured
 * with the same auth.nonce_secret accepts the others' nonces; with NULL
 * or "" pick 32 random bytes (nonces then die with the process). Returns
 * 0, EINVAL for a NULL <k>, EIO if OpenSSL fails.
 */
int pbx_nonce_key_init(struct pbx_nonce_key *k, const char *secret)
{
	unsigned int mdlen = 0;

	if (!k)
		return EINVAL;

	if (!secret || !*secret)
		return RAND_bytes(k->key, (int)sizeof(k->key)) == 1 ? 0 : EIO;

	if (!EVP_Digest(secret, strlen(secret), k->key, &mdlen,
			EVP_sha256(), NULL) || mdlen != sizeof(k->key))
		return EIO;

	return 0;
}

/* Write the nonce for time <now> under key <k> into <out> of <outsz>
 * bytes. Only [0-9a-f.] appear, so it is safe inside a quoted-string and
 * as a token. Returns 0, EINVAL for bad arguments or a short buffer, EIO
 * if OpenSSL fails. Any thread.
 */
int pbx_nonce_make(const struct pbx_nonce_key *k, time_t now,
		   char *out, size_t outsz)
{
	char ts[TS_LEN + 1];
	char mac[MAC_LEN + 1];
	int err;

	if (!k || !out || outsz < NONCE_LEN + 1 || now < 0)
		return EINVAL;

	snprintf(ts, sizeof(ts), "%016llx", (unsigned long long)now);

	err = mac_hex(k, ts, mac);
	if (err)
		return err;

	snprintf(out, outsz, "%s.%s", ts, mac);
	return 0;
}

/* Check <nonce> against key <k> at time <now>: 0 if its mac is right and
 * it is younger than <ttl> seconds; ETIMEDOUT if the mac is right but it
 * is older (the client should retry with stale=true, RFC 7616 3.3);
 * EINVAL for a NULL, malformed, forged or future nonce; EIO if OpenSSL
 * fails. Any thread.
 */
int pbx_nonce_check(const struct pbx_nonce_key *k, const char *nonce,
		    time_t now, unsigned ttl)
{
	char ts[TS_LEN + 1];
	char mac[MAC_LEN + 1];
	unsigned long long stamp;
	int err;

	if (!k || !nonce || now < 0)
		return EINVAL;

	/* Bounded length first: the nonce comes from the network. */
	if (strnlen(nonce, NONCE_LEN + 1) != NONCE_LEN ||
	    nonce[TS_LEN] != '.' || !is_lhex(nonce, TS_LEN) ||
	    !is_lhex(nonce + TS_LEN + 1, MAC_LEN))
		return EINVAL;

	memcpy(ts, nonce, TS_LEN);
	ts[TS_LEN] = '\0';

	err = mac_hex(k, ts, mac);
	if (err)
		return err;

	if (CRYPTO_memcmp(mac, nonce + TS_LEN + 1, MAC_LEN) != 0)
		return EINVAL;

	/* Signed by us, so the stamp is one we wrote; a future one means a
	 * node's clock or key is wrong, and we do not trust it.
	 */
	stamp = strtoull(ts, NULL, 16);
	if (stamp > (unsigned long long)now)
		return EINVAL;

	if ((unsigned long long)now - stamp >= ttl)
		return ETIMEDOUT;

	return 0;
}

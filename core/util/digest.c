/* core/util/digest.c - HTTP Digest arithmetic (RFC 2617, RFC 7616) with
 * MD5 and SHA-256 on OpenSSL's EVP. Parsing the Authorization header and
 * choosing the challenge belong to core/sip/auth.c.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "util/digest.h"

static EVP_MD *md_md5, *md_sha256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

/* OpenSSL 3 looks a digest up in its provider store at every
 * EVP_DigestInit_ex() given EVP_md5()/EVP_sha256(); fetching once saves
 * that on each REGISTER.
 */
static void md_fetch(void)
{
	md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *alg_md(enum pbx_digest_alg alg)
{
	pthread_once(&md_once, md_fetch);
	return alg == PBX_DIGEST_SHA256 ? md_sha256 : md_md5;
}

void pbx_digest_hex(const unsigned char *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

/* H(p[0] ":" p[1] ":" ... p[n-1]) in lower-case hex into <out>. */
static int hash_join(enum pbx_digest_alg alg, const char *const *p,
		     size_t n, char out[PBX_DIGEST_HEX_MAX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx;
	size_t i;
	int ok;

	if (!alg_md(alg))
		return EIO;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return ENOMEM;

	ok = EVP_DigestInit_ex(ctx, alg_md(alg), NULL);
	for (i = 0; ok && i < n; i++) {
		if (i)
			ok = EVP_DigestUpdate(ctx, ":", 1);
		if (ok)
			ok = EVP_DigestUpdate(ctx, p[i], strlen(p[i]));
	}
	if (ok)
		ok = EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);

	/* MD5 is missing when OpenSSL runs in FIPS mode. */
	if (!ok || mdlen * 2 != pbx_digest_hex_len(alg))
		return EIO;

	pbx_digest_hex(md, mdlen, out);
	return 0;
}

/* Lower-case copy of hex digest <in> of <alg> into <out>; EINVAL unless it
 * is exactly the right number of hex digits.
 */
static int norm_hex(enum pbx_digest_alg alg, const char *in,
		    char out[PBX_DIGEST_HEX_MAX])
{
	unsigned i, len = pbx_digest_hex_len(alg);

	if (strlen(in) != len)
		return EINVAL;

	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return EINVAL;
		out[i] = c;
	}
	out[len] = '\0';

	return 0;
}

/* Map algorithm <name> into <*algp>: "MD5" or "SHA-256" in any case, and
 * NULL or "" as MD5 (RFC 2617 3.2.1: absent means MD5). The "-sess"
 * variants and anything else give EINVAL.
 */
int pbx_digest_alg_parse(const char *name, enum pbx_digest_alg *algp)
{
	if (!algp)
		return EINVAL;

	if (!name || !*name || !strcasecmp(name, "MD5"))
		*algp = PBX_DIGEST_MD5;
	else if (!strcasecmp(name, "SHA-256"))
		*algp = PBX_DIGEST_SHA256;
	else
		return EINVAL;

	return 0;
}

/* The name of <alg> as it appears in a challenge; static string. */
const char *pbx_digest_alg_name(enum pbx_digest_alg alg)
{
	return alg == PBX_DIGEST_SHA256 ? "SHA-256" : "MD5";
}

/* Length of the hex digest of <alg>: 32 for MD5, 64 for SHA-256. */
unsigned pbx_digest_hex_len(enum pbx_digest_alg alg)
{
	return alg == PBX_DIGEST_SHA256 ? 64 : 32;
}

/* HA1 = H(<user> ":" <realm> ":" <password>) into <out>. Returns 0,
 * EINVAL for a NULL argument, EIO if OpenSSL lacks the algorithm.
 */
int pbx_digest_ha1(enum pbx_digest_alg alg, const char *user,
		   const char *realm, const char *password,
		   char out[PBX_DIGEST_HEX_MAX])
{
	const char *p[3];

	if (!user || !realm || !password || !out)
		return EINVAL;

	p[0] = user;
	p[1] = realm;
	p[2] = password;

	return hash_join(alg, p, 3, out);
}

/* The request-digest for stored hex <ha1> (any case) into <out>; see
 * util/digest.h for the formulas. EINVAL for a NULL nonce, method or uri,
 * a malformed <ha1>, qop other than "auth" (or NULL), or a qop without
 * <nc> and <cnonce>. EIO if OpenSSL lacks the algorithm.
 */
int pbx_digest_response(enum pbx_digest_alg alg, const char *ha1,
			const char *nonce, const char *nc,
			const char *cnonce, const char *qop,
			const char *method, const char *uri,
			char out[PBX_DIGEST_HEX_MAX])
{
	char h1[PBX_DIGEST_HEX_MAX], h2[PBX_DIGEST_HEX_MAX];
	const char *p[6];
	int err;

	if (!ha1 || !nonce || !method || !uri || !out)
		return EINVAL;

	/* auth-int would need the body hash, which the SIP layer does not
	 * hand us; no phone we know of needs it.
	 */
	if (qop && (strcasecmp(qop, "auth") || !nc || !cnonce))
		return EINVAL;

	/* The hash input uses HA1 in lower case (RFC 2617 3.2.2.2), so an
	 * upper-case stored value must not change the result.
	 */
	err = norm_hex(alg, ha1, h1);
	if (err)
		return err;

	p[0] = method;
	p[1] = uri;
	err = hash_join(alg, p, 2, h2);
	if (err)
		return err;

	p[0] = h1;
	p[1] = nonce;
	if (!qop) {
		p[2] = h2;
		return hash_join(alg, p, 3, out);
	}

	/* qop is hashed as the client sent it: that is what it hashed. */
	p[2] = nc;
	p[3] = cnonce;
	p[4] = qop;
	p[5] = h2;

	return hash_join(alg, p, 6, out);
}

/* True if hex digests <a> and <b> are equal, ignoring case. Takes the
 * same time wherever they differ, so a response cannot be guessed one
 * digit at a time. NULL or different lengths are false; the length of a
 * digest is no secret.
 */
bool pbx_digest_equal(const char *a, const char *b)
{
	char la[PBX_DIGEST_HEX_MAX], lb[PBX_DIGEST_HEX_MAX];
	size_t i, len;

	if (!a || !b)
		return false;

	len = strlen(a);
	if (len == 0 || len >= sizeof(la) || strlen(b) != len)
		return false;

	/* Folding A-F touches only the (public) case of each digit. */
	for (i = 0; i < len; i++) {
		la[i] = (a[i] >= 'A' && a[i] <= 'F') ? (char)(a[i] | 0x20) :
			a[i];
		lb[i] = (b[i] >= 'A' && b[i] <= 'F') ? (char)(b[i] | 0x20) :
			b[i];
	}

	return CRYPTO_memcmp(la, lb, len) == 0;
}

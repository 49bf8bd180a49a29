/* util/digest.h - HTTP Digest computations (RFC 2617, RFC 7616) for MD5
 * and SHA-256 (RFC 8760), on OpenSSL. No SIP parsing here: callers pass
 * the fields already unquoted.
 */
#ifndef PBX_UTIL_DIGEST_H
#define PBX_UTIL_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

enum pbx_digest_alg {
	PBX_DIGEST_MD5 = 0,
	PBX_DIGEST_SHA256,
};

/* Hex digest plus NUL for the longest algorithm (SHA-256). */
#define PBX_DIGEST_HEX_MAX 65

/* Map an algorithm name ("MD5", "SHA-256", case-insensitive; NULL or ""
 * means MD5 as RFC 2617 says) into <*algp>. EINVAL for "MD5-sess",
 * "SHA-256-sess" and anything else we do not verify.
 */
int pbx_digest_alg_parse(const char *name, enum pbx_digest_alg *algp);

/* "MD5" or "SHA-256". */
const char *pbx_digest_alg_name(enum pbx_digest_alg alg);

/* Length of the hex digest of <alg> (32 or 64). */
unsigned pbx_digest_hex_len(enum pbx_digest_alg alg);

/* HA1 = H(user ":" realm ":" password) in lower-case hex into <out>.
 * Returns 0, or EINVAL for NULL arguments.
 */
int pbx_digest_ha1(enum pbx_digest_alg alg, const char *user,
		   const char *realm, const char *password,
		   char out[PBX_DIGEST_HEX_MAX]);

/* The request-digest from a stored <ha1>:
 *   qop "auth":  H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)
 *   qop NULL:    H(HA1 ":" nonce ":" HA2)               (RFC 2069)
 * with HA2 = H(method ":" uri). qop "auth-int" is refused (EINVAL), as
 * are missing nc/cnonce when qop is given.
 */
int pbx_digest_response(enum pbx_digest_alg alg, const char *ha1,
			const char *nonce, const char *nc,
			const char *cnonce, const char *qop,
			const char *method, const char *uri,
			char out[PBX_DIGEST_HEX_MAX]);

/* <len> bytes of <in> as lower-case hex into <out>, which takes
 * 2 * <len> + 1 characters with the NUL.
 */
void pbx_digest_hex(const unsigned char *in, size_t len, char *out);

/* Constant-time, case-insensitive comparison of two hex digests. */
bool pbx_digest_equal(const char *a, const char *b);

#endif

/* util/secret.h - secrets at rest: API tokens, voicemail PINs and the
 * SIP password policy. Only hashes are ever stored.
 */
#ifndef PBX_UTIL_SECRET_H
#define PBX_UTIL_SECRET_H

#include <stddef.h>

/* Longest token, hash and PIN hash with their NULs. */
#define PBX_TOKEN_MAX      64
#define PBX_TOKEN_HASH_MAX 65
#define PBX_PIN_HASH_MAX   160

/* A new random API token "pbx_" + 43 base64url characters (256 bits)
 * into <out>. Returns 0, EINVAL if <outsz> < PBX_TOKEN_MAX, EIO if no
 * randomness.
 */
int pbx_secret_token_new(char *out, size_t outsz);

/* Lower-case hex SHA-256 of <token> (tokens are random, so no salt). */
int pbx_secret_token_hash(const char *token, char out[PBX_TOKEN_HASH_MAX]);

/* Salted PBKDF2-HMAC-SHA256 of <pin> as
 * "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>" into <out>.
 */
int pbx_secret_pin_hash(const char *pin, char *out, size_t outsz);

/* 0 if <pin> matches <stored>, EACCES if not, EINVAL if <stored> is
 * malformed.
 */
int pbx_secret_pin_verify(const char *pin, const char *stored);

/* Password policy for SIP secrets of extension <ext>: 0 if acceptable,
 * else EINVAL with the reason ("must be at least 8 characters", ...)
 * in <why>.
 */
int pbx_secret_password_check(const char *password, const char *ext,
			      char *why, size_t whysz);

/* PIN policy: 4 to 12 digits. 0 or EINVAL with the reason in <why>. */
int pbx_secret_pin_check(const char *pin, char *why, size_t whysz);

#endif

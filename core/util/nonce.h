/* util/nonce.h - stateless digest nonces: a timestamp signed with
 * HMAC-SHA-256, so the registrar stores nothing and any node sharing
 * the secret can verify them.
 */
#ifndef PBX_UTIL_NONCE_H
#define PBX_UTIL_NONCE_H

#include <stddef.h>
#include <time.h>

struct pbx_nonce_key {
	unsigned char key[32];
};

/* Longest nonce pbx_nonce_make() writes, with its NUL. */
#define PBX_NONCE_MAX 64

/* Derive the key from <secret> (SHA-256 of it), or pick 32 random bytes
 * when <secret> is NULL or "". Returns 0 or EIO if no randomness.
 */
int pbx_nonce_key_init(struct pbx_nonce_key *k, const char *secret);

/* Write a nonce for time <now> into <out> (at least PBX_NONCE_MAX).
 * Returns 0, or EINVAL if <outsz> is too small.
 */
int pbx_nonce_make(const struct pbx_nonce_key *k, time_t now,
		   char *out, size_t outsz);

/* Check <nonce> at time <now>: 0 if ours and younger than <ttl> seconds,
 * ETIMEDOUT if ours but too old (answer stale=true), EINVAL if not ours
 * or malformed, or stamped in the future.
 */
int pbx_nonce_check(const struct pbx_nonce_key *k, const char *nonce,
		    time_t now, unsigned ttl);

#endif

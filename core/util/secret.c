/* core/util/secret.c - API tokens, PIN hashes and the SIP password
 * policy. Storing the results is the callers' job (core/db, core/rest);
 * nothing here keeps state or logs a secret.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/digest.h"
#include "util/secret.h"

#define TOKEN_PREFIX   "pbx_"
#define TOKEN_BYTES    32

/* PBKDF2 cost. 100000 rounds of HMAC-SHA256 take some 30-60 ms on one
 * core: slow enough that a stolen table of 4 to 12 digit PINs costs an
 * attacker real time per guess, cheap enough for the REST threads that
 * set and check PINs (never the loop thread). Stored hashes carry their
 * count, so raising it later leaves old hashes valid.
 */
#define PIN_ITERATIONS 100000
#define PIN_ITER_MAX   1000000    /* refuse stored counts that stall us */
#define PIN_SALT_BYTES 16
#define PIN_HASH_BYTES 32
#define PIN_SCHEME     "pbkdf2-sha256"

#define PASSWORD_MIN   8
#define PASSWORD_MAX   128
#define PIN_MIN        4
#define PIN_MAX        12

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode exactly <len> hex digits of <s> into <out>; false if any is not
 * a hex digit.
 */
static bool from_hex(const char *s, size_t len, unsigned char *out)
{
	size_t i;

	for (i = 0; i < len / 2; i++) {
		int hi = hex_val(s[2 * i]), lo = hex_val(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}

	return true;
}

static int set_why(char *why, size_t whysz, const char *reason)
{
	if (why && whysz)
		snprintf(why, whysz, "%s", reason);

	return EINVAL;
}

/* Base64url (RFC 4648 5) of <len> bytes without padding, so the token
 * needs no escaping in a header, a URL or JSON.
 */
static void b64url(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
			in[i + 2];

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)in[i] << 16;

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
	}
	out[o] = '\0';
}

/* Write a new token "pbx_" + base64url(32 random bytes) into <out> of
 * <outsz> bytes. The prefix lets secret scanners recognise a leaked
 * token. Returns 0, EINVAL for a NULL or short buffer, EIO if there is
 * no randomness. Any thread.
 */
int pbx_secret_token_new(char *out, size_t outsz)
{
	unsigned char raw[TOKEN_BYTES];
	size_t pre = sizeof(TOKEN_PREFIX) - 1;

	if (!out || outsz < PBX_TOKEN_MAX)
		return EINVAL;

	if (RAND_bytes(raw, (int)sizeof(raw)) != 1)
		return EIO;

	memcpy(out, TOKEN_PREFIX, pre);
	b64url(raw, sizeof(raw), out + pre);
	OPENSSL_cleanse(raw, sizeof(raw));

	return 0;
}

/* Lower-case hex SHA-256 of <token> into <out>. A plain hash is enough:
 * a token has 256 random bits, so there is nothing to brute-force.
 * Returns 0, EINVAL for NULL arguments, EIO if OpenSSL fails.
 */
int pbx_secret_token_hash(const char *token, char out[PBX_TOKEN_HASH_MAX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (!token || !out)
		return EINVAL;

	if (!EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL)
	    || mdlen * 2 + 1 > PBX_TOKEN_HASH_MAX)
		return EIO;

	pbx_digest_hex(md, mdlen, out);
	return 0;
}

static int pbkdf2(const char *pin, const unsigned char *salt,
		  size_t saltlen, unsigned long iter, unsigned char *out,
		  size_t outlen)
{
	if (PKCS5_PBKDF2_HMAC(pin, (int)strlen(pin), salt, (int)saltlen,
			      (int)iter, EVP_sha256(), (int)outlen,
			      out) != 1)
		return EIO;

	return 0;
}

/* Hash <pin> with a fresh 16-byte salt as
 * "pbkdf2-sha256$100000$<salt hex>$<hash hex>" into <out> of <outsz>
 * bytes. Slow on purpose (see PIN_ITERATIONS): REST threads only.
 * Returns 0, EINVAL for NULL arguments or a short buffer, EIO if OpenSSL
 * fails.
 */
int pbx_secret_pin_hash(const char *pin, char *out, size_t outsz)
{
	unsigned char salt[PIN_SALT_BYTES], dk[PIN_HASH_BYTES];
	char salthex[2 * PIN_SALT_BYTES + 1], dkhex[2 * PIN_HASH_BYTES + 1];
	int err, r;

	if (!pin || !out)
		return EINVAL;

	if (RAND_bytes(salt, (int)sizeof(salt)) != 1)
		return EIO;

	err = pbkdf2(pin, salt, sizeof(salt), PIN_ITERATIONS, dk, sizeof(dk));
	if (err)
		return err;

	pbx_digest_hex(salt, sizeof(salt), salthex);
	pbx_digest_hex(dk, sizeof(dk), dkhex);
	OPENSSL_cleanse(dk, sizeof(dk));

	r = snprintf(out, outsz, PIN_SCHEME "$%d$%s$%s", PIN_ITERATIONS,
		     salthex, dkhex);
	if (r < 0 || (size_t)r >= outsz) {
		if (outsz)
			out[0] = '\0';
		return EINVAL;
	}

	return 0;
}

/* Check <pin> against <stored> as written by pbx_secret_pin_hash(), with
 * the iteration count and salt stored there. Returns 0 on a match,
 * EACCES on a mismatch, EINVAL for NULL arguments or a malformed
 * <stored>, EIO if OpenSSL fails. Slow on purpose: REST threads only.
 */
int pbx_secret_pin_verify(const char *pin, const char *stored)
{
	unsigned char salt[64], want[64], got[64];
	const char *p, *salthex, *hashhex;
	size_t saltlen, hashlen;
	unsigned long iter;
	char *end;
	int err;

	if (!pin || !stored)
		return EINVAL;

	p = stored;
	if (strncmp(p, PIN_SCHEME "$", sizeof(PIN_SCHEME)))
		return EINVAL;
	p += sizeof(PIN_SCHEME);

	if (*p < '1' || *p > '9')
		return EINVAL;
	errno = 0;
	iter = strtoul(p, &end, 10);
	if (errno || *end != '$' || iter > PIN_ITER_MAX)
		return EINVAL;

	salthex = end + 1;
	p = strchr(salthex, '$');
	if (!p)
		return EINVAL;
	saltlen = (size_t)(p - salthex);
	hashhex = p + 1;
	hashlen = strlen(hashhex);

	/* Bounds keep a corrupt row from asking for a huge derived key. */
	if (saltlen < 2 || saltlen > 2 * sizeof(salt) || saltlen % 2 ||
	    hashlen < 32 || hashlen > 2 * sizeof(want) || hashlen % 2 ||
	    !from_hex(salthex, saltlen, salt) ||
	    !from_hex(hashhex, hashlen, want))
		return EINVAL;
	saltlen /= 2;
	hashlen /= 2;

	err = pbkdf2(pin, salt, saltlen, iter, got, hashlen);
	if (err)
		return err;

	err = CRYPTO_memcmp(got, want, hashlen) ? EACCES : 0;
	OPENSSL_cleanse(got, sizeof(got));

	return err;
}

/* Apply the SIP password policy to <password> of extension <ext> (NULL
 * or "" skips the extension rule): 8 to 128 characters (UTF-8 sequences
 * count as one), no control characters, at least one letter and one
 * digit, and not containing the extension in any case. Returns 0, or
 * EINVAL with the reason, worded to follow "password ", in <why>.
 */
int pbx_secret_password_check(const char *password, const char *ext,
			      char *why, size_t whysz)
{
	const unsigned char *p;
	size_t chars = 0;
	bool letter = false, digit = false;

	if (!password)
		return set_why(why, whysz, "is required");

	for (p = (const unsigned char *)password; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return set_why(why, whysz,
				       "must not contain control characters");
		/* Continuation bytes do not start a character. */
		if ((*p & 0xc0) != 0x80)
			chars++;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    *p >= 0x80)
			letter = true;
		else if (*p >= '0' && *p <= '9')
			digit = true;
	}

	if (chars < PASSWORD_MIN)
		return set_why(why, whysz, "must be at least 8 characters");
	if (chars > PASSWORD_MAX)
		return set_why(why, whysz, "must be at most 128 characters");
	if (!letter)
		return set_why(why, whysz, "must contain a letter");
	if (!digit)
		return set_why(why, whysz, "must contain a digit");

	/* The extension is public (it is the SIP user name), so a password
	 * built on it is the first thing a scanner tries.
	 */
	if (ext && *ext && strcasestr(password, ext))
		return set_why(why, whysz,
			       "must not contain the extension");

	return 0;
}

/* Apply the PIN policy to <pin>: 4 to 12 digits, nothing else, since
 * PINs are typed on a phone keypad. Returns 0, or EINVAL with the reason
 * in <why>.
 */
int pbx_secret_pin_check(const char *pin, char *why, size_t whysz)
{
	size_t len;

	if (!pin)
		return set_why(why, whysz, "is required");

	len = strspn(pin, "0123456789");
	if (pin[len])
		return set_why(why, whysz, "must contain only digits");
	if (len < PIN_MIN)
		return set_why(why, whysz, "must be at least 4 digits");
	if (len > PIN_MAX)
		return set_why(why, whysz, "must be at most 12 digits");

	return 0;
}

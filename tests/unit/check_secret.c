/* tests/unit/check_secret.c - util/secret.c: token shape, hashes, PIN
 * hashing and the password and PIN policies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util/secret.h"

#define B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	"0123456789-_"

START_TEST(secret_token_shape)
{
	char t[PBX_TOKEN_MAX];

	ck_assert_int_eq(pbx_secret_token_new(t, sizeof(t)), 0);
	ck_assert_uint_eq(strlen(t), 4 + 43);
	ck_assert(strncmp(t, "pbx_", 4) == 0);
	ck_assert_uint_eq(strspn(t + 4, B64URL), 43);

	ck_assert_int_eq(pbx_secret_token_new(t, PBX_TOKEN_MAX - 1), EINVAL);
	ck_assert_int_eq(pbx_secret_token_new(NULL, PBX_TOKEN_MAX), EINVAL);
}
END_TEST

START_TEST(secret_token_unique)
{
	char t[64][PBX_TOKEN_MAX];
	size_t i, j;

	for (i = 0; i < 64; i++)
		ck_assert_int_eq(pbx_secret_token_new(t[i], sizeof(t[i])), 0);
	for (i = 0; i < 64; i++)
		for (j = i + 1; j < 64; j++)
			ck_assert_str_ne(t[i], t[j]);
}
END_TEST

START_TEST(secret_token_hash)
{
	char h1[PBX_TOKEN_HASH_MAX], h2[PBX_TOKEN_HASH_MAX];

	/* SHA-256("abc"), FIPS 180-2 B.1 */
	ck_assert_int_eq(pbx_secret_token_hash("abc", h1), 0);
	ck_assert_str_eq(h1, "ba7816bf8f01cfea414140de5dae2223"
			 "b00361a396177a9cb410ff61f20015ad");

	ck_assert_int_eq(pbx_secret_token_hash("pbx_x", h1), 0);
	ck_assert_int_eq(pbx_secret_token_hash("pbx_x", h2), 0);
	ck_assert_str_eq(h1, h2);
	ck_assert_uint_eq(strlen(h1), 64);
	ck_assert_uint_eq(strspn(h1, "0123456789abcdef"), 64);

	ck_assert_int_eq(pbx_secret_token_hash("pbx_y", h2), 0);
	ck_assert_str_ne(h1, h2);
	ck_assert_int_eq(pbx_secret_token_hash(NULL, h1), EINVAL);
}
END_TEST

START_TEST(secret_pin_hash_verify)
{
	char h[PBX_PIN_HASH_MAX], h2[PBX_PIN_HASH_MAX];

	ck_assert_int_eq(pbx_secret_pin_hash("4711", h, sizeof(h)), 0);
	ck_assert(strncmp(h, "pbkdf2-sha256$100000$", 21) == 0);
	/* 16-byte salt and 32-byte hash, in hex */
	ck_assert_uint_eq(strlen(h), 21 + 32 + 1 + 64);
	ck_assert_int_eq(h[21 + 32], '$');

	ck_assert_int_eq(pbx_secret_pin_verify("4711", h), 0);
	ck_assert_int_eq(pbx_secret_pin_verify("4712", h), EACCES);
	ck_assert_int_eq(pbx_secret_pin_verify("", h), EACCES);
	ck_assert_int_eq(pbx_secret_pin_verify("47110", h), EACCES);

	/* fresh salt each time */
	ck_assert_int_eq(pbx_secret_pin_hash("4711", h2, sizeof(h2)), 0);
	ck_assert_str_ne(h, h2);
	ck_assert_int_eq(pbx_secret_pin_verify("4711", h2), 0);

	ck_assert_int_eq(pbx_secret_pin_hash("4711", h2, 100), EINVAL);
	ck_assert_int_eq(pbx_secret_pin_hash(NULL, h2, sizeof(h2)), EINVAL);
}
END_TEST

/* A vector from Python, computed apart from this code:
 * hashlib.pbkdf2_hmac("sha256", b"1234", bytes(range(16)), 1000).
 * Verification must use the count and salt stored in the string.
 */
START_TEST(secret_pin_verify_known)
{
	const char *stored = "pbkdf2-sha256$1000$"
		"000102030405060708090a0b0c0d0e0f$"
		"2240ea2a22754a3c4610356ef8e4d7ac"
		"f25af2ac3d2d11866de97a8b7812c52c";
	const char *upper = "pbkdf2-sha256$1000$"
		"000102030405060708090A0B0C0D0E0F$"
		"2240EA2A22754A3C4610356EF8E4D7AC"
		"F25AF2AC3D2D11866DE97A8B7812C52C";

	ck_assert_int_eq(pbx_secret_pin_verify("1234", stored), 0);
	ck_assert_int_eq(pbx_secret_pin_verify("1235", stored), EACCES);
	ck_assert_int_eq(pbx_secret_pin_verify("1234", upper), 0);
}
END_TEST

START_TEST(secret_pin_malformed)
{
	static const char *const bad[] = {
		"",
		"4711",
		"pbkdf2-sha1$1000$00$" "0000000000000000000000000000000000",
		"pbkdf2-sha256$$0001$"
		"00000000000000000000000000000000",
		"pbkdf2-sha256$0$0001$00000000000000000000000000000000",
		"pbkdf2-sha256$-5$0001$00000000000000000000000000000000",
		"pbkdf2-sha256$99999999999$0001$"
		"00000000000000000000000000000000",
		"pbkdf2-sha256$1000$$00000000000000000000000000000000",
		"pbkdf2-sha256$1000$001$00000000000000000000000000000000",
		"pbkdf2-sha256$1000$zz01$00000000000000000000000000000000",
		"pbkdf2-sha256$1000$0001$",
		"pbkdf2-sha256$1000$0001$00",
		"pbkdf2-sha256$1000$0001$0000000000000000000000000000000g",
		"pbkdf2-sha256$1000$0001",
		"pbkdf2-sha256$1000x$0001$00000000000000000000000000000000",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(pbx_secret_pin_verify("1234", bad[i]) == EINVAL,
			      "accepted '%s'", bad[i]);
	ck_assert_int_eq(pbx_secret_pin_verify(NULL, "x"), EINVAL);
	ck_assert_int_eq(pbx_secret_pin_verify("1234", NULL), EINVAL);
}
END_TEST

static void pw_bad(const char *pw, const char *ext, const char *why)
{
	char buf[128] = "";

	ck_assert_int_eq(pbx_secret_password_check(pw, ext, buf, sizeof(buf)),
			 EINVAL);
	ck_assert_str_eq(buf, why);
}

START_TEST(secret_password_policy)
{
	char buf[128] = "unchanged";
	char longpw[200];

	ck_assert_int_eq(pbx_secret_password_check("s3cretPass", "1001", buf,
						   sizeof(buf)), 0);
	ck_assert_int_eq(pbx_secret_password_check("abcdefg1", NULL, NULL,
						   0), 0);

	pw_bad(NULL, "1001", "is required");
	pw_bad("abc1", "1001", "must be at least 8 characters");
	pw_bad("abcdefg", "1001", "must be at least 8 characters");
	pw_bad("abcdefgh", "1001", "must contain a digit");
	pw_bad("12345678", "1001", "must contain a letter");
	pw_bad("abc1001xyz", "1001", "must not contain the extension");
	pw_bad("xxALICE99", "alice", "must not contain the extension");
	pw_bad("abc\n12345", "1001", "must not contain control characters");
	pw_bad("abc\t12345", "1001", "must not contain control characters");
	pw_bad("abc\x7f" "12345", "1001",
	       "must not contain control characters");

	memset(longpw, 'a', 128);
	longpw[0] = '1';
	longpw[128] = '\0';
	ck_assert_int_eq(pbx_secret_password_check(longpw, "1001", NULL, 0),
			 0);
	longpw[128] = 'a';
	longpw[129] = '\0';
	pw_bad(longpw, "1001", "must be at most 128 characters");

	/* 8 characters, 16 bytes: characters are counted, not bytes */
	pw_bad("\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c" "1",
	       "1001", "must be at least 8 characters");
	ck_assert_int_eq(pbx_secret_password_check(
		"\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c" "12",
		"1001", NULL, 0), 0);
}
END_TEST

static void pin_bad(const char *pin, const char *why)
{
	char buf[128] = "";

	ck_assert_int_eq(pbx_secret_pin_check(pin, buf, sizeof(buf)), EINVAL);
	ck_assert_str_eq(buf, why);
}

START_TEST(secret_pin_policy)
{
	ck_assert_int_eq(pbx_secret_pin_check("1234", NULL, 0), 0);
	ck_assert_int_eq(pbx_secret_pin_check("000000000000", NULL, 0), 0);

	pin_bad(NULL, "is required");
	pin_bad("", "must be at least 4 digits");
	pin_bad("123", "must be at least 4 digits");
	pin_bad("1234567890123", "must be at most 12 digits");
	pin_bad("12a4", "must contain only digits");
	pin_bad("1234 ", "must contain only digits");
	pin_bad("-1234", "must contain only digits");
}
END_TEST

static Suite *secret_suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("secret");

	/* PBKDF2 with 100000 rounds is slow under valgrind. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, secret_token_shape);
	tcase_add_test(tc, secret_token_unique);
	tcase_add_test(tc, secret_token_hash);
	tcase_add_test(tc, secret_pin_hash_verify);
	tcase_add_test(tc, secret_pin_verify_known);
	tcase_add_test(tc, secret_pin_malformed);
	tcase_add_test(tc, secret_password_policy);
	tcase_add_test(tc, secret_pin_policy);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(secret_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

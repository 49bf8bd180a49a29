/* tests/unit/check_nonce.c - util/nonce.c: signed, timed, stateless
 * nonces and every way a bad one must be refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util/nonce.h"

#define T0  ((time_t)1795000000)
#define TTL 300u

static struct pbx_nonce_key key;

static void setup(void)
{
	ck_assert_int_eq(pbx_nonce_key_init(&key, "test secret"), 0);
}

START_TEST(nonce_roundtrip)
{
	char n[PBX_NONCE_MAX];
	size_t i;

	ck_assert_int_eq(pbx_nonce_make(&key, T0, n, sizeof(n)), 0);
	ck_assert_uint_eq(strlen(n), 49);
	ck_assert_int_eq(n[16], '.');
	/* Safe as a token and inside a quoted-string. */
	for (i = 0; n[i]; i++)
		ck_assert(strchr("0123456789abcdef.", n[i]) != NULL);

	ck_assert_int_eq(pbx_nonce_check(&key, n, T0, TTL), 0);
	ck_assert_int_eq(pbx_nonce_check(&key, n, T0 + TTL - 1, TTL), 0);
}
END_TEST

START_TEST(nonce_expired)
{
	char n[PBX_NONCE_MAX];

	ck_assert_int_eq(pbx_nonce_make(&key, T0, n, sizeof(n)), 0);
	ck_assert_int_eq(pbx_nonce_check(&key, n, T0 + TTL, TTL), ETIMEDOUT);
	ck_assert_int_eq(pbx_nonce_check(&key, n, T0 + 86400, TTL),
			 ETIMEDOUT);
}
END_TEST

START_TEST(nonce_tampered_signature)
{
	char n[PBX_NONCE_MAX];

	ck_assert_int_eq(pbx_nonce_make(&key, T0, n, sizeof(n)), 0);
	n[40] = n[40] == '0' ? '1' : '0';
	ck_assert_int_eq(pbx_nonce_check(&key, n, T0, TTL), EINVAL);
}
END_TEST

/* Moving the stamp forward would make an old nonce young again. */
START_TEST(nonce_tampered_timestamp)
{
	char n[PBX_NONCE_MAX];

	ck_assert_int_eq(pbx_nonce_make(&key, T0, n, sizeof(n)), 0);
	n[15] = n[15] == 'f' ? 'e' : (char)(n[15] + 1);
	ck_assert_int_eq(pbx_nonce_check(&key, n, T0 + TTL, TTL), EINVAL);
}
END_TEST

START_TEST(nonce_other_key)
{
	struct pbx_nonce_key other;
	char n[PBX_NONCE_MAX];

	ck_assert_int_eq(pbx_nonce_key_init(&other, "another secret"), 0);
	ck_assert_int_eq(pbx_nonce_make(&other, T0, n, sizeof(n)), 0);
	ck_assert_int_eq(pbx_nonce_check(&key, n, T0, TTL), EINVAL);

	/* A random key differs from both. */
	ck_assert_int_eq(pbx_nonce_key_init(&other, NULL), 0);
	ck_assert_int_eq(pbx_nonce_make(&other, T0, n, sizeof(n)), 0);
	ck_assert_int_eq(pbx_nonce_check(&other, n, T0, TTL), 0);
	ck_assert_int_eq(pbx_nonce_check(&key, n, T0, TTL), EINVAL);
}
END_TEST

START_TEST(nonce_future)
{
	char n[PBX_NONCE_MAX];

	ck_assert_int_eq(pbx_nonce_make(&key, T0 + 10, n, sizeof(n)), 0);
	ck_assert_int_eq(pbx_nonce_check(&key, n, T0, TTL), EINVAL);
	ck_assert_int_eq(pbx_nonce_check(&key, n, T0 + 9, TTL), EINVAL);
	ck_assert_int_eq(pbx_nonce_check(&key, n, T0 + 10, TTL), 0);
}
END_TEST

START_TEST(nonce_garbage)
{
	char n[PBX_NONCE_MAX], up[PBX_NONCE_MAX];
	char longer[PBX_NONCE_MAX + 8];
	size_t i;

	ck_assert_int_eq(pbx_nonce_make(&key, T0, n, sizeof(n)), 0);

	ck_assert_int_eq(pbx_nonce_check(&key, NULL, T0, TTL), EINVAL);
	ck_assert_int_eq(pbx_nonce_check(&key, "", T0, TTL), EINVAL);
	ck_assert_int_eq(pbx_nonce_check(&key,
		"dcd98b7102dd2f0e8b11d0f600bfb0c093", T0, TTL), EINVAL);
	ck_assert_int_eq(pbx_nonce_check(&key, ".", T0, TTL), EINVAL);

	/* the right nonce with a byte more, or one less */
	snprintf(longer, sizeof(longer), "%s0", n);
	ck_assert_int_eq(pbx_nonce_check(&key, longer, T0, TTL), EINVAL);
	snprintf(longer, sizeof(longer), "%.48s", n);
	ck_assert_int_eq(pbx_nonce_check(&key, longer, T0, TTL), EINVAL);

	/* the separator moved or replaced */
	memcpy(longer, n, sizeof(n));
	longer[16] = '0';
	ck_assert_int_eq(pbx_nonce_check(&key, longer, T0, TTL), EINVAL);

	/* upper-case hex is not what we write */
	memcpy(up, n, sizeof(n));
	for (i = 0; up[i]; i++)
		if (up[i] >= 'a' && up[i] <= 'f')
			up[i] = (char)(up[i] - 'a' + 'A');
	ck_assert_str_ne(up, n);
	ck_assert_int_eq(pbx_nonce_check(&key, up, T0, TTL), EINVAL);

	/* NULL key, short output buffer */
	ck_assert_int_eq(pbx_nonce_check(NULL, n, T0, TTL), EINVAL);
	ck_assert_int_eq(pbx_nonce_make(&key, T0, n, 49), EINVAL);
	ck_assert_int_eq(pbx_nonce_make(&key, T0, n, 50), 0);
}
END_TEST

START_TEST(nonce_overlong)
{
	char big[4096];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[16] = '.';
	ck_assert_int_eq(pbx_nonce_check(&key, big, T0, TTL), EINVAL);
}
END_TEST

/* Two nodes with the same auth.nonce_secret accept each other's nonces. */
START_TEST(nonce_secret_key_deterministic)
{
	struct pbx_nonce_key a, b;
	char n[PBX_NONCE_MAX];

	ck_assert_int_eq(pbx_nonce_key_init(&a, "shared"), 0);
	ck_assert_int_eq(pbx_nonce_key_init(&b, "shared"), 0);
	ck_assert_mem_eq(a.key, b.key, sizeof(a.key));

	ck_assert_int_eq(pbx_nonce_make(&a, T0, n, sizeof(n)), 0);
	ck_assert_int_eq(pbx_nonce_check(&b, n, T0 + 1, TTL), 0);

	/* "" means random, like NULL: two such keys differ */
	ck_assert_int_eq(pbx_nonce_key_init(&a, ""), 0);
	ck_assert_int_eq(pbx_nonce_key_init(&b, ""), 0);
	ck_assert(memcmp(a.key, b.key, sizeof(a.key)) != 0);
}
END_TEST

static Suite *nonce_suite(void)
{
	Suite *s = suite_create("nonce");
	TCase *tc = tcase_create("nonce");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, nonce_roundtrip);
	tcase_add_test(tc, nonce_expired);
	tcase_add_test(tc, nonce_tampered_signature);
	tcase_add_test(tc, nonce_tampered_timestamp);
	tcase_add_test(tc, nonce_other_key);
	tcase_add_test(tc, nonce_future);
	tcase_add_test(tc, nonce_garbage);
	tcase_add_test(tc, nonce_overlong);
	tcase_add_test(tc, nonce_secret_key_deterministic);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(nonce_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

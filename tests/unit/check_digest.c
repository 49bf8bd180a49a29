/* tests/unit/check_digest.c - util/digest.c against the worked examples
 * of RFC 2617 and RFC 7616, and values computed apart with Python's
 * hashlib.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util/digest.h"

/* RFC 7616 3.9.1 */
#define R7616_REALM  "http-auth@example.org"
#define R7616_NONCE  "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define R7616_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"

/* RFC 2617 3.5 */
#define R2617_REALM  "testrealm@host.com"
#define R2617_NONCE  "dcd98b7102dd2f0e8b11d0f600bfb0c093"

static void response_for(enum pbx_digest_alg alg, const char *user,
			 const char *realm, const char *pass,
			 const char *nonce, const char *nc,
			 const char *cnonce, const char *qop,
			 const char *method, const char *uri, char *out)
{
	char ha1[PBX_DIGEST_HEX_MAX];

	ck_assert_int_eq(pbx_digest_ha1(alg, user, realm, pass, ha1), 0);
	ck_assert_uint_eq(strlen(ha1), pbx_digest_hex_len(alg));
	ck_assert_int_eq(pbx_digest_response(alg, ha1, nonce, nc, cnonce,
					     qop, method, uri, out), 0);
}

START_TEST(digest_rfc2617_md5)
{
	char ha1[PBX_DIGEST_HEX_MAX], out[PBX_DIGEST_HEX_MAX];

	ck_assert_int_eq(pbx_digest_ha1(PBX_DIGEST_MD5, "Mufasa",
					R2617_REALM, "Circle Of Life", ha1),
			 0);
	ck_assert_str_eq(ha1, "939e7578ed9e3c518a452acee763bce9");

	response_for(PBX_DIGEST_MD5, "Mufasa", R2617_REALM,
		     "Circle Of Life", R2617_NONCE, "00000001", "0a4f113b",
		     "auth", "GET", "/dir/index.html", out);
	ck_assert_str_eq(out, "6629fae49393a05397450978507c4ef1");
}
END_TEST

START_TEST(digest_rfc7616_md5)
{
	char out[PBX_DIGEST_HEX_MAX];

	response_for(PBX_DIGEST_MD5, "Mufasa", R7616_REALM,
		     "Circle of Life", R7616_NONCE, "00000001", R7616_CNONCE,
		     "auth", "GET", "/dir/index.html", out);
	ck_assert_str_eq(out, "8ca523f5e9506fed4657c9700eebdbec");
}
END_TEST

START_TEST(digest_rfc7616_sha256)
{
	char out[PBX_DIGEST_HEX_MAX];

	response_for(PBX_DIGEST_SHA256, "Mufasa", R7616_REALM,
		     "Circle of Life", R7616_NONCE, "00000001", R7616_CNONCE,
		     "auth", "GET", "/dir/index.html", out);
	ck_assert_str_eq(out, "753927fa0e85d155564e2e272a28d180"
			 "2ca10daf4496794697cf8db5856cb6c1");
}
END_TEST

/* A phone's REGISTER with SHA-256 (RFC 8760); expected values from
 * hashlib.sha256 in Python, computed apart from this code.
 */
START_TEST(digest_rfc8760_sip_register_sha256)
{
	char ha1[PBX_DIGEST_HEX_MAX], out[PBX_DIGEST_HEX_MAX];

	ck_assert_int_eq(pbx_digest_ha1(PBX_DIGEST_SHA256, "1001",
					"pbx.local", "s3cretPass9", ha1), 0);
	ck_assert_str_eq(ha1, "75f3cdb679170ab984af9163f9a14cd7"
			 "d113ac94be37704349fedddead72f2a2");

	ck_assert_int_eq(pbx_digest_response(PBX_DIGEST_SHA256, ha1,
		"0000000065a1b2c3.0123456789abcdef0123456789abcdef",
		"00000002", "a9f3c1e7", "auth", "REGISTER", "sip:pbx.local",
		out), 0);
	ck_assert_str_eq(out, "02230b5bfa1676b4f1e3c9366a32b723"
			 "190baf74aea3f3a468f8dfdc62c1d556");
}
END_TEST

/* No qop: H(HA1:nonce:HA2); value from Python's hashlib.md5. */
START_TEST(digest_rfc2069_no_qop)
{
	char out[PBX_DIGEST_HEX_MAX];

	response_for(PBX_DIGEST_MD5, "Mufasa", R2617_REALM,
		     "Circle Of Life", R2617_NONCE, NULL, NULL, NULL, "GET",
		     "/dir/index.html", out);
	ck_assert_str_eq(out, "670fd8c2df070c60b045671b8b24ff02");
}
END_TEST

/* A stored HA1 in upper case must give the same response. */
START_TEST(digest_ha1_upper_case)
{
	char out[PBX_DIGEST_HEX_MAX];

	ck_assert_int_eq(pbx_digest_response(PBX_DIGEST_MD5,
		"939E7578ED9E3C518A452ACEE763BCE9", R2617_NONCE, "00000001",
		"0a4f113b", "auth", "GET", "/dir/index.html", out), 0);
	ck_assert_str_eq(out, "6629fae49393a05397450978507c4ef1");
}
END_TEST

START_TEST(digest_response_rejects)
{
	const char *ha1 = "939e7578ed9e3c518a452acee763bce9";
	char out[PBX_DIGEST_HEX_MAX];

	/* auth-int needs the body; we refuse it. */
	ck_assert_int_eq(pbx_digest_response(PBX_DIGEST_MD5, ha1, "n",
		"00000001", "c", "auth-int", "GET", "/", out), EINVAL);
	/* qop without nc or cnonce */
	ck_assert_int_eq(pbx_digest_response(PBX_DIGEST_MD5, ha1, "n",
		NULL, "c", "auth", "GET", "/", out), EINVAL);
	ck_assert_int_eq(pbx_digest_response(PBX_DIGEST_MD5, ha1, "n",
		"00000001", NULL, "auth", "GET", "/", out), EINVAL);
	/* missing fields */
	ck_assert_int_eq(pbx_digest_response(PBX_DIGEST_MD5, ha1, NULL,
		NULL, NULL, NULL, "GET", "/", out), EINVAL);
	ck_assert_int_eq(pbx_digest_response(PBX_DIGEST_MD5, ha1, "n",
		NULL, NULL, NULL, NULL, "/", out), EINVAL);
	ck_assert_int_eq(pbx_digest_response(PBX_DIGEST_MD5, ha1, "n",
		NULL, NULL, NULL, "GET", NULL, out), EINVAL);
	/* HA1 of the wrong length for the algorithm, or not hex */
	ck_assert_int_eq(pbx_digest_response(PBX_DIGEST_SHA256, ha1, "n",
		NULL, NULL, NULL, "GET", "/", out), EINVAL);
	ck_assert_int_eq(pbx_digest_response(PBX_DIGEST_MD5,
		"939e7578ed9e3c518a452acee763bcez", "n", NULL, NULL, NULL,
		"GET", "/", out), EINVAL);
	ck_assert_int_eq(pbx_digest_ha1(PBX_DIGEST_MD5, NULL, "r", "p", out),
			 EINVAL);
}
END_TEST

START_TEST(digest_alg_parse)
{
	enum pbx_digest_alg alg = PBX_DIGEST_SHA256;

	ck_assert_int_eq(pbx_digest_alg_parse(NULL, &alg), 0);
	ck_assert_int_eq(alg, PBX_DIGEST_MD5);
	alg = PBX_DIGEST_SHA256;
	ck_assert_int_eq(pbx_digest_alg_parse("", &alg), 0);
	ck_assert_int_eq(alg, PBX_DIGEST_MD5);
	ck_assert_int_eq(pbx_digest_alg_parse("sha-256", &alg), 0);
	ck_assert_int_eq(alg, PBX_DIGEST_SHA256);
	ck_assert_int_eq(pbx_digest_alg_parse("md5", &alg), 0);
	ck_assert_int_eq(alg, PBX_DIGEST_MD5);
	ck_assert_int_eq(pbx_digest_alg_parse("SHA-256", &alg), 0);
	ck_assert_int_eq(alg, PBX_DIGEST_SHA256);

	ck_assert_str_eq(pbx_digest_alg_name(PBX_DIGEST_MD5), "MD5");
	ck_assert_str_eq(pbx_digest_alg_name(PBX_DIGEST_SHA256), "SHA-256");
	ck_assert_uint_eq(pbx_digest_hex_len(PBX_DIGEST_MD5), 32);
	ck_assert_uint_eq(pbx_digest_hex_len(PBX_DIGEST_SHA256), 64);
}
END_TEST

START_TEST(digest_alg_parse_rejects)
{
	static const char *const bad[] = {
		"MD5-sess", "SHA-256-sess", "SHA-512-256", "SHA256", "MD5 ",
		"sha-1",
	};
	enum pbx_digest_alg alg = PBX_DIGEST_SHA256;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(pbx_digest_alg_parse(bad[i], &alg), EINVAL);
		/* untouched on failure */
		ck_assert_int_eq(alg, PBX_DIGEST_SHA256);
	}
}
END_TEST

START_TEST(digest_equal)
{
	const char *a = "6629fae49393a05397450978507c4ef1";

	ck_assert(pbx_digest_equal(a, "6629fae49393a05397450978507c4ef1"));
	ck_assert(pbx_digest_equal(a, "6629FAE49393A05397450978507C4EF1"));
	ck_assert(!pbx_digest_equal(a, "6629fae49393a05397450978507c4ef0"));
	ck_assert(!pbx_digest_equal(a, "7629fae49393a05397450978507c4ef1"));
	ck_assert(!pbx_digest_equal(a, "6629fae49393a05397450978507c4ef"));
	ck_assert(!pbx_digest_equal(a, "6629fae49393a05397450978507c4ef11"));
	ck_assert(!pbx_digest_equal(a, ""));
	ck_assert(!pbx_digest_equal("", ""));
	ck_assert(!pbx_digest_equal(a, NULL));
	ck_assert(!pbx_digest_equal(NULL, a));
	/* case folding covers A-F only */
	ck_assert(!pbx_digest_equal("6629fae49393a05397450978507c4ef1",
				    "6629fae49393a05397450978507c4eF\x11"));
}
END_TEST

static Suite *digest_suite(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("digest");

	tcase_add_test(tc, digest_rfc2617_md5);
	tcase_add_test(tc, digest_rfc7616_md5);
	tcase_add_test(tc, digest_rfc7616_sha256);
	tcase_add_test(tc, digest_rfc8760_sip_register_sha256);
	tcase_add_test(tc, digest_rfc2069_no_qop);
	tcase_add_test(tc, digest_ha1_upper_case);
	tcase_add_test(tc, digest_response_rejects);
	tcase_add_test(tc, digest_alg_parse);
	tcase_add_test(tc, digest_alg_parse_rejects);
	tcase_add_test(tc, digest_equal);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(digest_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

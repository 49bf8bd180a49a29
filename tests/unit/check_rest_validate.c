/* check_rest_validate.c - the pure REST input checks (rest/validate.c):
 * every rejection names the right field with a useful message, and valid
 * input passes with every field carried through.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rest/validate.h"

/* A password the policy must accept for extension 1001. */
#define GOOD_PW "Tr1cky-Horse-Battery"

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	ck_assert_msg(j != NULL, "test JSON '%s': %s", text, jerr.text);
	return j;
}

/* ---- User creation ---- */

START_TEST(rv_1_1_create_minimal)
{
	struct pbx_rest_user_in in;
	struct pbx_rest_verr verr;
	json_t *j = load("{\"extension\":\"1001\","
			 "\"password\":\"" GOOD_PW "\"}");

	ck_assert_int_eq(pbx_rest_validate_user_create(j, &in, &verr), 0);
	ck_assert_str_eq(in.extension, "1001");
	ck_assert_str_eq(in.password, GOOD_PW);
	ck_assert_ptr_null(in.display_name);
	ck_assert(!in.email_set);
	ck_assert(!in.enabled_set);
	ck_assert(!in.pin_set);
	ck_assert(!in.algs_set);
	ck_assert(!in.max_contacts_set);
	json_decref(j);
}
END_TEST

START_TEST(rv_1_2_create_full)
{
	struct pbx_rest_user_in in;
	struct pbx_rest_verr verr;
	json_t *j = load("{\"extension\":\"1234567890\","
			 "\"password\":\"" GOOD_PW "\","
			 "\"display_name\":\"Alice \\u00c9toile\","
			 "\"email\":\"alice@example.com\","
			 "\"enabled\":false,"
			 "\"voicemail_pin\":\"4821\","
			 "\"auth_algorithms\":\"SHA-256,MD5\","
			 "\"max_contacts\":100}");

	ck_assert_int_eq(pbx_rest_validate_user_create(j, &in, &verr), 0);
	ck_assert_str_eq(in.extension, "1234567890");
	ck_assert_str_eq(in.display_name, "Alice \xc3\x89toile");
	ck_assert(in.email_set);
	ck_assert_str_eq(in.email, "alice@example.com");
	ck_assert(in.enabled_set);
	ck_assert(!in.enabled);
	ck_assert(in.pin_set);
	ck_assert_str_eq(in.pin, "4821");
	ck_assert(in.algs_set);
	ck_assert_str_eq(in.algs, "SHA-256,MD5");
	ck_assert(in.max_contacts_set);
	ck_assert_int_eq(in.max_contacts, 100);
	json_decref(j);
}
END_TEST

START_TEST(rv_1_3_create_nulls_clear)
{
	struct pbx_rest_user_in in;
	struct pbx_rest_verr verr;
	json_t *j = load("{\"extension\":\"42\","
			 "\"password\":\"" GOOD_PW "\","
			 "\"email\":null,\"voicemail_pin\":null,"
			 "\"auth_algorithms\":null,\"max_contacts\":null}");

	ck_assert_int_eq(pbx_rest_validate_user_create(j, &in, &verr), 0);
	ck_assert(in.email_set);
	ck_assert_ptr_null(in.email);
	ck_assert(in.pin_set);
	ck_assert_ptr_null(in.pin);
	ck_assert(in.algs_set);
	ck_assert_ptr_null(in.algs);
	ck_assert(in.max_contacts_set);
	ck_assert_int_eq(in.max_contacts, 0);
	json_decref(j);
}
END_TEST

START_TEST(rv_1_4_create_every_algorithm)
{
	static const char *const algs[] = {
		"MD5", "SHA-256", "SHA-256,MD5", "MD5,SHA-256",
	};
	struct pbx_rest_user_in in;
	struct pbx_rest_verr verr;
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		json_t *j;

		snprintf(text, sizeof(text), "{\"extension\":\"1001\","
			 "\"password\":\"" GOOD_PW "\","
			 "\"auth_algorithms\":\"%s\"}", algs[i]);
		j = load(text);
		ck_assert_int_eq(pbx_rest_validate_user_create(j, &in,
							       &verr), 0);
		ck_assert_str_eq(in.algs, algs[i]);
		json_decref(j);
	}
}
END_TEST

/* Each bad body, the field the error must name and a piece of the
 * message it must carry. Bodies get the extension and password added
 * unless they set them.
 */
static const struct {
	const char *body;
	const char *field;
	const char *message;
} create_bad[] = {
	{"{\"password\":\"" GOOD_PW "\"}",
	 "extension", "extension is required"},
	{"{\"extension\":\"1001\"}", "password", "password is required"},
	{"{\"extension\":\"1\",\"password\":\"" GOOD_PW "\"}",
	 "extension", "2 to 10 digits"},
	{"{\"extension\":\"12345678901\",\"password\":\"" GOOD_PW "\"}",
	 "extension", "2 to 10 digits"},
	{"{\"extension\":\"10a1\",\"password\":\"" GOOD_PW "\"}",
	 "extension", "2 to 10 digits"},
	{"{\"extension\":\"\",\"password\":\"" GOOD_PW "\"}",
	 "extension", "2 to 10 digits"},
	{"{\"extension\":1001,\"password\":\"" GOOD_PW "\"}",
	 "extension", "must be a string"},
	{"{\"extension\":\"1001\",\"password\":12345678}",
	 "password", "password must be a string"},
	{"{\"extension\":\"1001\",\"password\":\"x\"}",
	 "password", "password must be at least 8 characters"},
	{"{\"extension\":\"1001\",\"password\":\"abc1001xyz\"}",
	 "password", "password must not contain the extension"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"colour\":\"red\"}", "colour", "unknown field 'colour'"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"enabled\":\"yes\"}", "enabled", "enabled must be true or false"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"enabled\":null}", "enabled", "true or false"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"display_name\":5}", "display_name", "must be a string"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"display_name\":\"Al\\tice\"}", "display_name",
	 "control characters"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"display_name\":\"Al\\u0085ice\"}", "display_name",
	 "control characters"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"display_name\":\"0123456789012345678901234567890123456789"
	 "0123456789012345678901234\"}", "display_name",
	 "at most 64 characters, not 65"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"email\":\"nope\"}", "email", "name@example.com"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"email\":\"a@b\"}", "email", "name@example.com"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"email\":\"a b@c.de\"}", "email", "name@example.com"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"email\":\"a@b@c.de\"}", "email", "name@example.com"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"email\":\"@c.de\"}", "email", "name@example.com"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"email\":\"a@c..de\"}", "email", "name@example.com"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"email\":42}", "email", "name@example.com"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"voicemail_pin\":1234}", "voicemail_pin", "string of digits"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"voicemail_pin\":\"12\"}", "voicemail_pin",
	 "voicemail_pin must be at least 4 digits"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"voicemail_pin\":\"12ab\"}", "voicemail_pin",
	 "voicemail_pin must contain only digits"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"auth_algorithms\":\"SHA-512\"}", "auth_algorithms",
	 "\"SHA-256,MD5\""},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"auth_algorithms\":\"md5\"}", "auth_algorithms", "or null"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"max_contacts\":0}", "max_contacts", "from 1 to 100"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"max_contacts\":101}", "max_contacts", "from 1 to 100"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"max_contacts\":2.5}", "max_contacts", "integer"},
	{"{\"extension\":\"1001\",\"password\":\"" GOOD_PW "\","
	 "\"max_contacts\":\"3\"}", "max_contacts", "integer"},
	{"[1, 2]", "", "must be a JSON object"},
};

START_TEST(rv_1_5_create_rejects)
{
	struct pbx_rest_user_in in;
	struct pbx_rest_verr verr;
	json_t *j = load(create_bad[_i].body);

	memset(&verr, 0, sizeof(verr));
	ck_assert_int_eq(pbx_rest_validate_user_create(j, &in, &verr),
			 EINVAL);
	ck_assert_msg(!strcmp(verr.field, create_bad[_i].field),
		      "%s: field '%s', expected '%s'", create_bad[_i].body,
		      verr.field, create_bad[_i].field);
	ck_assert_msg(strstr(verr.message, create_bad[_i].message) != NULL,
		      "%s: message '%s' lacks '%s'", create_bad[_i].body,
		      verr.message, create_bad[_i].message);
	json_decref(j);
}
END_TEST

START_TEST(rv_1_6_display_name_counts_characters)
{
	struct pbx_rest_user_in in;
	struct pbx_rest_verr verr;
	char text[512];
	size_t len;
	json_t *j;
	int i;

	/* 64 two-byte characters (128 bytes) fit; 65 do not. */
	len = (size_t)snprintf(text, sizeof(text), "{\"extension\":\"1001\","
			       "\"password\":\"" GOOD_PW "\","
			       "\"display_name\":\"");
	for (i = 0; i < 64; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"\xc3\xa9");
	snprintf(text + len, sizeof(text) - len, "\"}");
	j = load(text);
	ck_assert_int_eq(pbx_rest_validate_user_create(j, &in, &verr), 0);
	ck_assert_uint_eq(strlen(in.display_name), 128);
	json_decref(j);

	snprintf(text + len, sizeof(text) - len, "\xc3\xa9\"}");
	j = load(text);
	ck_assert_int_eq(pbx_rest_validate_user_create(j, &in, &verr),
			 EINVAL);
	ck_assert_str_eq(verr.field, "display_name");
	json_decref(j);
}
END_TEST

/* ---- User changes ---- */

START_TEST(rv_2_1_patch_valid)
{
	struct pbx_rest_user_in in;
	struct pbx_rest_verr verr;
	json_t *j = load("{\"enabled\":false,\"display_name\":\"\"}");

	ck_assert_int_eq(pbx_rest_validate_user_patch(j, "1001", &in, &verr),
			 0);
	ck_assert_ptr_null(in.extension);
	ck_assert_ptr_null(in.password);
	ck_assert(in.enabled_set);
	ck_assert(!in.enabled);
	ck_assert_str_eq(in.display_name, "");
	json_decref(j);

	j = load("{\"password\":\"" GOOD_PW "\"}");
	ck_assert_int_eq(pbx_rest_validate_user_patch(j, "1001", &in, &verr),
			 0);
	ck_assert_str_eq(in.password, GOOD_PW);
	ck_assert(!in.enabled_set);
	json_decref(j);
}
END_TEST

static const struct {
	const char *body;
	const char *field;
	const char *message;
} patch_bad[] = {
	{"{}", "", "no field to change"},
	{"{\"extension\":\"1002\"}", "extension",
	 "extension cannot be changed"},
	{"{\"extension\":\"1001\",\"enabled\":true}", "extension",
	 "extension cannot be changed"},
	{"{\"enabled\":true,\"nick\":\"al\"}", "nick", "unknown field 'nick'"},
	{"{\"password\":\"short\"}", "password",
	 "password must be at least 8 characters"},
	{"{\"password\":\"x1001abcdef\"}", "password",
	 "must not contain the extension"},
	{"{\"password\":null}", "password", "must be a string"},
	{"{\"max_contacts\":-3}", "max_contacts", "from 1 to 100"},
	{"{\"email\":\"x@y\"}", "email", "name@example.com"},
	{"\"enabled\"", "", "must be a JSON object"},
};

START_TEST(rv_2_2_patch_rejects)
{
	struct pbx_rest_user_in in;
	struct pbx_rest_verr verr;
	json_t *j = json_loads(patch_bad[_i].body, JSON_DECODE_ANY, NULL);

	ck_assert_ptr_nonnull(j);
	memset(&verr, 0, sizeof(verr));
	ck_assert_int_eq(pbx_rest_validate_user_patch(j, "1001", &in, &verr),
			 EINVAL);
	ck_assert_msg(!strcmp(verr.field, patch_bad[_i].field),
		      "%s: field '%s', expected '%s'", patch_bad[_i].body,
		      verr.field, patch_bad[_i].field);
	ck_assert_msg(strstr(verr.message, patch_bad[_i].message) != NULL,
		      "%s: message '%s' lacks '%s'", patch_bad[_i].body,
		      verr.message, patch_bad[_i].message);
	json_decref(j);
}
END_TEST

/* ---- Pagination ---- */

START_TEST(rv_3_1_page_defaults_and_bounds)
{
	struct pbx_rest_verr verr;
	unsigned l = 7, o = 7;

	ck_assert_int_eq(pbx_rest_validate_page(NULL, NULL, &l, &o, &verr),
			 0);
	ck_assert_uint_eq(l, 50);
	ck_assert_uint_eq(o, 0);

	ck_assert_int_eq(pbx_rest_validate_page("1", "0", &l, &o, &verr), 0);
	ck_assert_uint_eq(l, 1);
	ck_assert_uint_eq(o, 0);

	ck_assert_int_eq(pbx_rest_validate_page("500", "2147483647", &l, &o,
						&verr), 0);
	ck_assert_uint_eq(l, 500);
	ck_assert_uint_eq(o, 2147483647u);

	ck_assert_int_eq(pbx_rest_validate_page("007", NULL, &l, &o, &verr),
			 0);
	ck_assert_uint_eq(l, 7);
	ck_assert_uint_eq(o, 0);
}
END_TEST

static const struct {
	const char *limit;
	const char *offset;
	const char *field;
} page_bad[] = {
	{"0", NULL, "limit"},
	{"501", NULL, "limit"},
	{"-1", NULL, "limit"},
	{"abc", NULL, "limit"},
	{"5x", NULL, "limit"},
	{"", NULL, "limit"},
	{" 5", NULL, "limit"},
	{"99999999999999999999999", NULL, "limit"},
	{NULL, "-1", "offset"},
	{NULL, "2147483648", "offset"},
	{NULL, "1e3", "offset"},
	{NULL, "", "offset"},
	{"10", "x", "offset"},
};

START_TEST(rv_3_2_page_rejects)
{
	struct pbx_rest_verr verr;
	unsigned l = 7, o = 7;

	memset(&verr, 0, sizeof(verr));
	ck_assert_int_eq(pbx_rest_validate_page(page_bad[_i].limit,
						page_bad[_i].offset,
						&l, &o, &verr), EINVAL);
	ck_assert_str_eq(verr.field, page_bad[_i].field);
	ck_assert_msg(strstr(verr.message, page_bad[_i].field) == verr.message,
		      "message '%s' does not start with the parameter",
		      verr.message);
	/* Out-params are written only on success. */
	ck_assert_uint_eq(l, 7);
	ck_assert_uint_eq(o, 7);
}
END_TEST

/* ---- Identifiers ---- */

START_TEST(rv_4_1_uuid)
{
	ck_assert(pbx_rest_validate_uuid(
		"3f1c2a9e-0b4d-4c6e-9a8b-1d2e3f405162"));
	ck_assert(pbx_rest_validate_uuid(
		"3F1C2A9E-0B4D-4C6E-9A8B-1D2E3F405162"));
	ck_assert(!pbx_rest_validate_uuid(NULL));
	ck_assert(!pbx_rest_validate_uuid(""));
	ck_assert(!pbx_rest_validate_uuid("not-a-uuid"));
	ck_assert(!pbx_rest_validate_uuid(
		"3f1c2a9e-0b4d-4c6e-9a8b-1d2e3f40516"));
	ck_assert(!pbx_rest_validate_uuid(
		"3f1c2a9e-0b4d-4c6e-9a8b-1d2e3f4051620"));
	ck_assert(!pbx_rest_validate_uuid(
		"3f1c2a9e0b4d-4c6e-9a8b-1d2e3f4051623"));
	ck_assert(!pbx_rest_validate_uuid(
		"3f1c2a9g-0b4d-4c6e-9a8b-1d2e3f405162"));
	ck_assert(!pbx_rest_validate_uuid(
		"{3f1c2a9e-0b4d-4c6e-9a8b-1d2e3f4051}"));
}
END_TEST

START_TEST(rv_4_2_extension)
{
	ck_assert(pbx_rest_validate_extension("10"));
	ck_assert(pbx_rest_validate_extension("1234567890"));
	ck_assert(!pbx_rest_validate_extension(NULL));
	ck_assert(!pbx_rest_validate_extension(""));
	ck_assert(!pbx_rest_validate_extension("1"));
	ck_assert(!pbx_rest_validate_extension("12345678901"));
	ck_assert(!pbx_rest_validate_extension("12a"));
	ck_assert(!pbx_rest_validate_extension("-12"));
}
END_TEST

START_TEST(rv_4_3_token_name)
{
	struct pbx_rest_verr verr;
	char name[80];

	ck_assert_int_eq(pbx_rest_validate_token_name("admin", &verr), 0);
	ck_assert_int_eq(pbx_rest_validate_token_name("ci.bot_1-x", &verr),
			 0);
	memset(name, 'a', 64);
	name[64] = '\0';
	ck_assert_int_eq(pbx_rest_validate_token_name(name, &verr), 0);

	name[64] = 'a';
	name[65] = '\0';
	ck_assert_int_eq(pbx_rest_validate_token_name(name, &verr), EINVAL);
	ck_assert_str_eq(verr.field, "name");
	ck_assert_ptr_nonnull(strstr(verr.message, "1 to 64"));

	ck_assert_int_eq(pbx_rest_validate_token_name("", &verr), EINVAL);
	ck_assert_int_eq(pbx_rest_validate_token_name(NULL, &verr), EINVAL);
	ck_assert_int_eq(pbx_rest_validate_token_name("a b", &verr), EINVAL);
	ck_assert_int_eq(pbx_rest_validate_token_name("a/b", &verr), EINVAL);
	ck_assert_int_eq(pbx_rest_validate_token_name("caf\xc3\xa9", &verr),
			 EINVAL);
	ck_assert_str_eq(verr.field, "name");
}
END_TEST

static Suite *rest_validate_suite(void)
{
	Suite *s = suite_create("rest_validate");
	TCase *tc;

	tc = tcase_create("create");
	tcase_add_test(tc, rv_1_1_create_minimal);
	tcase_add_test(tc, rv_1_2_create_full);
	tcase_add_test(tc, rv_1_3_create_nulls_clear);
	tcase_add_test(tc, rv_1_4_create_every_algorithm);
	tcase_add_loop_test(tc, rv_1_5_create_rejects, 0,
			    (int)(sizeof(create_bad) / sizeof(create_bad[0])));
	tcase_add_test(tc, rv_1_6_display_name_counts_characters);
	suite_add_tcase(s, tc);

	tc = tcase_create("patch");
	tcase_add_test(tc, rv_2_1_patch_valid);
	tcase_add_loop_test(tc, rv_2_2_patch_rejects, 0,
			    (int)(sizeof(patch_bad) / sizeof(patch_bad[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("page");
	tcase_add_test(tc, rv_3_1_page_defaults_and_bounds);
	tcase_add_loop_test(tc, rv_3_2_page_rejects, 0,
			    (int)(sizeof(page_bad) / sizeof(page_bad[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("ids");
	tcase_add_test(tc, rv_4_1_uuid);
	tcase_add_test(tc, rv_4_2_extension);
	tcase_add_test(tc, rv_4_3_token_name);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rest_validate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* tests/unit/check_g711.c - media/g711.c: the decoding tables against
 * G.711's formulas, encoding, and the direct mu-law <-> A-law tables
 * against the standard's conversion tables.
 */
#include <stdint.h>
#include <stdlib.h>

#include <check.h>

#include "media/g711.h"

/* G.711 Tables 3 and 4, as 128 magnitudes (the public domain Sun
 * reference g711.c, with its 1994 corrections); sign handled apart.
 */
static const uint8_t ref_u2a[128] = {
	1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8,
	9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
	25, 27, 29, 31, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
	46, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62,
	64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79,
	80, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96,
	97, 98, 99, 100, 101, 102, 103, 104,
	105, 106, 107, 108, 109, 110, 111, 112,
	113, 114, 115, 116, 117, 118, 119, 120,
	121, 122, 123, 124, 125, 126, 127, 128,
};

static const uint8_t ref_a2u[128] = {
	1, 3, 5, 7, 9, 11, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23,
	24, 25, 26, 27, 28, 29, 30, 31, 32, 32, 33, 33, 34, 34, 35, 35,
	36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 48, 49, 49,
	50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 64,
	65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80,
	80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95,
	96, 97, 98, 99, 100, 101, 102, 103,
	104, 105, 106, 107, 108, 109, 110, 111,
	112, 113, 114, 115, 116, 117, 118, 119,
	120, 121, 122, 123, 124, 125, 126, 127,
};

/* G.711 mu-law reconstruction: complemented code, biased by 0x84. */
static int ref_ulaw(uint8_t u)
{
	int t;

	u = (uint8_t)~u;
	t = ((u & 0x0f) << 3) + 0x84;
	t <<= (u & 0x70) >> 4;
	return (u & 0x80) ? 0x84 - t : t - 0x84;
}

/* G.711 A-law reconstruction: even bits inverted, two linear segments. */
static int ref_alaw(uint8_t a)
{
	int t, seg;

	a ^= 0x55;
	t = (a & 0x0f) << 4;
	seg = (a & 0x70) >> 4;
	if (seg == 0)
		t += 8;
	else if (seg == 1)
		t += 0x108;
	else
		t = (t + 0x108) << (seg - 1);
	return (a & 0x80) ? t : -t;
}

START_TEST(g711_decode_tables)
{
	for (int c = 0; c < 256; c++) {
		ck_assert_int_eq(pbx_g711_ulaw_dec((uint8_t)c),
				 ref_ulaw((uint8_t)c));
		ck_assert_int_eq(pbx_g711_alaw_dec((uint8_t)c),
				 ref_alaw((uint8_t)c));
	}
	/* The well-known points: silence and full scale. */
	ck_assert_int_eq(pbx_g711_ulaw_dec(0xff), 0);
	ck_assert_int_eq(pbx_g711_ulaw_dec(0x7f), 0);
	ck_assert_int_eq(pbx_g711_ulaw_dec(0x80), 32124);
	ck_assert_int_eq(pbx_g711_ulaw_dec(0x00), -32124);
	ck_assert_int_eq(pbx_g711_alaw_dec(0xd5), 8);
	ck_assert_int_eq(pbx_g711_alaw_dec(0x55), -8);
	ck_assert_int_eq(pbx_g711_alaw_dec(0xaa), 32256);
	ck_assert_int_eq(pbx_g711_alaw_dec(0x2a), -32256);
}
END_TEST

/* Encoding a decoded value gives the code back (mu-law has two zeros,
 * and encodes 0 as the positive one).
 */
START_TEST(g711_encode_roundtrip)
{
	for (int c = 0; c < 256; c++) {
		uint8_t u = pbx_g711_ulaw_enc(pbx_g711_ulaw_dec((uint8_t)c));
		uint8_t a = pbx_g711_alaw_enc(pbx_g711_alaw_dec((uint8_t)c));

		ck_assert_uint_eq(u, c == 0x7f ? 0xff : c);
		ck_assert_uint_eq(a, c);
	}
}
END_TEST

/* Every linear value lands on a nearby level, monotonically. */
START_TEST(g711_encode_monotonic)
{
	int prev_u = -40000, prev_a = -40000;

	for (int s = -32768; s <= 32767; s++) {
		int u = pbx_g711_ulaw_dec(pbx_g711_ulaw_enc((int16_t)s));
		int a = pbx_g711_alaw_dec(pbx_g711_alaw_enc((int16_t)s));

		ck_assert_int_ge(u, prev_u);
		ck_assert_int_ge(a, prev_a);
		/* Within a step: 1/16 of the segment, plus clipping. */
		ck_assert_int_le(abs(u - s), abs(s) / 16 + 1100);
		ck_assert_int_le(abs(a - s), abs(s) / 16 + 600);
		prev_u = u;
		prev_a = a;
	}
	ck_assert_uint_eq(pbx_g711_ulaw_enc(0), 0xff);
	ck_assert_uint_eq(pbx_g711_alaw_enc(0), 0xd5);
	ck_assert_uint_eq(pbx_g711_ulaw_enc(32767), 0x80);
	ck_assert_uint_eq(pbx_g711_ulaw_enc(-32768), 0x00);
	ck_assert_uint_eq(pbx_g711_alaw_enc(32767), 0xaa);
	ck_assert_uint_eq(pbx_g711_alaw_enc(-32768), 0x2a);
}
END_TEST

START_TEST(g711_cross_tables)
{
	for (int c = 0; c < 256; c++) {
		uint8_t u = (uint8_t)c, a = (uint8_t)c;
		uint8_t want_a = (u & 0x80) ? 0xd5 ^ (ref_u2a[0xff ^ u] - 1)
					    : 0x55 ^ (ref_u2a[0x7f ^ u] - 1);
		uint8_t want_u = (a & 0x80) ? 0xff ^ ref_a2u[a ^ 0xd5]
					    : 0x7f ^ ref_a2u[a ^ 0x55];

		ck_assert_uint_eq(pbx_g711_ulaw2alaw(u), want_a);
		ck_assert_uint_eq(pbx_g711_alaw2ulaw(a), want_u);
	}
}
END_TEST

/* The conversions keep the sign and stay close to the level. */
START_TEST(g711_cross_close)
{
	for (int c = 0; c < 256; c++) {
		int lu = pbx_g711_ulaw_dec((uint8_t)c);
		int la = pbx_g711_alaw_dec(pbx_g711_ulaw2alaw((uint8_t)c));
		int ma = pbx_g711_alaw_dec((uint8_t)c);
		int mu = pbx_g711_ulaw_dec(pbx_g711_alaw2ulaw((uint8_t)c));

		ck_assert(lu == 0 || (lu > 0) == (la > 0));
		ck_assert((ma > 0) == (mu >= 0));
		ck_assert_int_le(abs(la - lu), abs(lu) / 8 + 16);
		ck_assert_int_le(abs(mu - ma), abs(ma) / 8 + 16);
	}
	ck_assert_uint_eq(pbx_g711_ulaw2alaw(0xff), 0xd5);
	ck_assert_uint_eq(pbx_g711_alaw2ulaw(0xd5), 0xfe);
	ck_assert_uint_eq(pbx_g711_ulaw2alaw(0x80), 0xaa);
	ck_assert_uint_eq(pbx_g711_alaw2ulaw(0xaa), 0x80);
}
END_TEST

START_TEST(g711_buffers_in_place)
{
	uint8_t buf[256], orig[256];

	for (int i = 0; i < 256; i++)
		buf[i] = orig[i] = (uint8_t)i;
	pbx_g711_ulaw2alaw_buf(buf, buf, sizeof(buf));
	for (int i = 0; i < 256; i++)
		ck_assert_uint_eq(buf[i], pbx_g711_ulaw2alaw(orig[i]));
	pbx_g711_alaw2ulaw_buf(buf, orig, sizeof(buf));
	for (int i = 0; i < 256; i++)
		ck_assert_uint_eq(buf[i], pbx_g711_alaw2ulaw(orig[i]));
}
END_TEST

static Suite *g711_suite(void)
{
	Suite *s = suite_create("g711");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, g711_decode_tables);
	tcase_add_test(tc, g711_encode_roundtrip);
	tcase_add_test(tc, g711_encode_monotonic);
	tcase_add_test(tc, g711_cross_tables);
	tcase_add_test(tc, g711_cross_close);
	tcase_add_test(tc, g711_buffers_in_place);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(g711_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

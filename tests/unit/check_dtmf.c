/* tests/unit/check_dtmf.c - media/dtmf.c: the RFC 4733 event payload and
 * the detector that reports each digit exactly once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "media/dtmf.h"

#define MS 1000000ull

static struct pbx_dtmf_ev ev(uint8_t event, bool end, uint16_t duration)
{
	return (struct pbx_dtmf_ev){ .event = event, .end = end,
				     .volume = 10, .duration = duration };
}

START_TEST(dtmf_parse)
{
	const uint8_t p[] = { 11, 0x80 | 0x0a, 0x03, 0x20, 0xff };
	struct pbx_dtmf_ev e;

	ck_assert_int_eq(pbx_dtmf_parse(&e, p, sizeof(p)), 0);
	ck_assert_uint_eq(e.event, 11);
	ck_assert(e.end);
	ck_assert_uint_eq(e.volume, 10);
	ck_assert_uint_eq(e.duration, 800);
	ck_assert_int_eq(pbx_dtmf_parse(&e, p, 3), EBADMSG);
}
END_TEST

START_TEST(dtmf_chars)
{
	ck_assert_int_eq(pbx_dtmf_char(0), '0');
	ck_assert_int_eq(pbx_dtmf_char(9), '9');
	ck_assert_int_eq(pbx_dtmf_char(10), '*');
	ck_assert_int_eq(pbx_dtmf_char(11), '#');
	ck_assert_int_eq(pbx_dtmf_char(12), 'A');
	ck_assert_int_eq(pbx_dtmf_char(15), 'D');
	ck_assert_int_eq(pbx_dtmf_char(16), 0);      /* flash */
	ck_assert_int_eq(pbx_dtmf_char(255), 0);
}
END_TEST

/* Start, updates, and the end sent three times: one digit. */
START_TEST(dtmf_one_report_per_event)
{
	struct pbx_dtmf_rx d = { 0 };
	struct pbx_dtmf_digit out[2];
	struct pbx_dtmf_ev e;

	e = ev(5, false, 160);
	ck_assert_uint_eq(pbx_dtmf_rx_feed(&d, 1000, &e, 0, out), 0);
	e = ev(5, false, 320);
	ck_assert_uint_eq(pbx_dtmf_rx_feed(&d, 1000, &e, 20 * MS, out), 0);
	e = ev(5, true, 800);
	ck_assert_uint_eq(pbx_dtmf_rx_feed(&d, 1000, &e, 40 * MS, out), 1);
	ck_assert_int_eq(out[0].digit, '5');
	ck_assert_uint_eq(out[0].duration_ms, 100);
	ck_assert_uint_eq(pbx_dtmf_rx_feed(&d, 1000, &e, 41 * MS, out), 0);
	ck_assert_uint_eq(pbx_dtmf_rx_feed(&d, 1000, &e, 42 * MS, out), 0);
	ck_assert(!pbx_dtmf_rx_flush(&d, 5000 * MS, MS, &out[0]));

	/* The same digit again is a new event (new timestamp). */
	e = ev(5, false, 160);
	ck_assert_uint_eq(pbx_dtmf_rx_feed(&d, 3000, &e, 60 * MS, out), 0);
	e = ev(5, true, 480);
	ck_assert_uint_eq(pbx_dtmf_rx_feed(&d, 3000, &e, 80 * MS, out), 1);
	ck_assert_int_eq(out[0].digit, '5');
	ck_assert_uint_eq(out[0].duration_ms, 60);
}
END_TEST

/* Every end packet lost: the next event reports the previous one. */
START_TEST(dtmf_lost_end_next_event)
{
	struct pbx_dtmf_rx d = { 0 };
	struct pbx_dtmf_digit out[2];
	struct pbx_dtmf_ev e;

	e = ev(1, false, 400);
	ck_assert_uint_eq(pbx_dtmf_rx_feed(&d, 100, &e, 0, out), 0);
	/* A one-packet event right after: two digits at once. */
	e = ev(11, true, 640);
	ck_assert_uint_eq(pbx_dtmf_rx_feed(&d, 2000, &e, MS, out), 2);
	ck_assert_int_eq(out[0].digit, '1');
	ck_assert_uint_eq(out[0].duration_ms, 50);
	ck_assert_int_eq(out[1].digit, '#');
	ck_assert_uint_eq(out[1].duration_ms, 80);
}
END_TEST

/* Every end packet lost and nothing follows: the flush reports it. */
START_TEST(dtmf_lost_end_flush)
{
	struct pbx_dtmf_rx d = { 0 };
	struct pbx_dtmf_digit out[2];
	struct pbx_dtmf_ev e = ev(10, false, 240);

	pbx_dtmf_rx_feed(&d, 100, &e, 10 * MS, out);
	ck_assert(!pbx_dtmf_rx_flush(&d, 100 * MS, 500 * MS, &out[0]));
	ck_assert(pbx_dtmf_rx_flush(&d, 510 * MS, 500 * MS, &out[0]));
	ck_assert_int_eq(out[0].digit, '*');
	ck_assert_uint_eq(out[0].duration_ms, 30);
	ck_assert(!pbx_dtmf_rx_flush(&d, 2000 * MS, 500 * MS, &out[0]));
	/* A late end of the same event is not reported again. */
	e = ev(10, true, 480);
	ck_assert_uint_eq(pbx_dtmf_rx_feed(&d, 100, &e, 2001 * MS, out), 0);
}
END_TEST

/* Non-digit events are tracked (they end like any) but not reported. */
START_TEST(dtmf_non_digit)
{
	struct pbx_dtmf_rx d = { 0 };
	struct pbx_dtmf_digit out[2];
	struct pbx_dtmf_ev e = ev(16, true, 800);

	ck_assert_uint_eq(pbx_dtmf_rx_feed(&d, 100, &e, 0, out), 0);
	e = ev(16, false, 100);
	ck_assert_uint_eq(pbx_dtmf_rx_feed(&d, 900, &e, MS, out), 0);
	e = ev(2, true, 800);
	ck_assert_uint_eq(pbx_dtmf_rx_feed(&d, 1900, &e, 2 * MS, out), 1);
	ck_assert_int_eq(out[0].digit, '2');
}
END_TEST

static Suite *dtmf_suite(void)
{
	Suite *s = suite_create("dtmf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, dtmf_parse);
	tcase_add_test(tc, dtmf_chars);
	tcase_add_test(tc, dtmf_one_report_per_event);
	tcase_add_test(tc, dtmf_lost_end_next_event);
	tcase_add_test(tc, dtmf_lost_end_flush);
	tcase_add_test(tc, dtmf_non_digit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dtmf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

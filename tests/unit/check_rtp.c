/* tests/unit/check_rtp.c - the RTP/RTCP wire formats of core/media:
 * rtp.c (header parsing, writing, the continuous outgoing stream),
 * rtpstat.c (RFC 3550 A.1/A.3/A.8 statistics) and rtcp.c (our compound
 * report and reading the peer's).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/rtpstat.h"

#define MS 1000000ull             /* ns */

/* ---- rtp.c: parsing and writing ---- */

START_TEST(rtp_parse_minimal)
{
	uint8_t p[12 + 160];
	struct pbx_rtp_hdr h;

	memset(p, 0xff, sizeof(p));
	pbx_rtp_write(p, 8, true, 0xbeef, 0x01020304, 0xcafebabe);
	ck_assert_int_eq(pbx_rtp_parse(&h, p, sizeof(p)), 0);
	ck_assert_uint_eq(h.pt, 8);
	ck_assert(h.marker);
	ck_assert_uint_eq(h.seq, 0xbeef);
	ck_assert_uint_eq(h.ts, 0x01020304);
	ck_assert_uint_eq(h.ssrc, 0xcafebabe);
	ck_assert_uint_eq(h.hlen, 12);
	ck_assert_uint_eq(h.plen, 160);
	ck_assert_uint_eq(p[0], 0x80);
	ck_assert_uint_eq(p[1], 0x88);
}
END_TEST

START_TEST(rtp_parse_csrc_ext_padding)
{
	uint8_t p[64];
	struct pbx_rtp_hdr h;
	size_t len;

	memset(p, 0, sizeof(p));
	pbx_rtp_write(p, 0, false, 1, 2, 3);
	/* 2 CSRCs, an extension of 1 word, 4 payload octets, 3 padding. */
	p[0] = 0x80 | 0x20 | 0x10 | 2;
	p[20] = 0xbe;
	p[21] = 0xde;
	p[23] = 1;
	memcpy(p + 28, "\x11\x22\x33\x44", 4);
	p[34] = 3;
	len = 35;
	ck_assert_int_eq(pbx_rtp_parse(&h, p, len), 0);
	ck_assert_uint_eq(h.hlen, 28);
	ck_assert_uint_eq(h.plen, 4);
	ck_assert_uint_eq(p[h.hlen], 0x11);
}
END_TEST

START_TEST(rtp_parse_bad)
{
	uint8_t p[40];
	struct pbx_rtp_hdr h;

	memset(p, 0, sizeof(p));
	pbx_rtp_write(p, 0, false, 1, 2, 3);
	ck_assert_int_eq(pbx_rtp_parse(&h, p, 11), EBADMSG);
	p[0] = 0x40;                       /* version 1 */
	ck_assert_int_eq(pbx_rtp_parse(&h, p, 20), EBADMSG);
	p[0] = 0x8f;                       /* 15 CSRCs in 20 octets */
	ck_assert_int_eq(pbx_rtp_parse(&h, p, 20), EBADMSG);
	p[0] = 0x90;                       /* extension past the end */
	p[14] = 0;
	p[15] = 9;
	ck_assert_int_eq(pbx_rtp_parse(&h, p, 20), EBADMSG);
	ck_assert_int_eq(pbx_rtp_parse(&h, p, 14), EBADMSG);
	p[0] = 0xa0;                       /* padding longer than payload */
	p[19] = 9;
	ck_assert_int_eq(pbx_rtp_parse(&h, p, 20), EBADMSG);
	p[19] = 0;                         /* padding count 0 */
	ck_assert_int_eq(pbx_rtp_parse(&h, p, 20), EBADMSG);
	p[0] = 0x80;                       /* RTCP SR on the RTP port */
	p[1] = 200;
	ck_assert(pbx_rtp_is_rtcp(p, 20));
	ck_assert_int_eq(pbx_rtp_parse(&h, p, 20), EBADMSG);
	p[1] = 0x80 | 72;                  /* marker + PT 72 is 200 too */
	ck_assert_int_eq(pbx_rtp_parse(&h, p, 20), EBADMSG);
	p[1] = 101;
	ck_assert(!pbx_rtp_is_rtcp(p, 20));
	ck_assert_int_eq(pbx_rtp_parse(&h, p, 20), 0);
}
END_TEST

/* ---- rtp.c: the outgoing stream ---- */

START_TEST(rtp_out_first_and_steady)
{
	struct pbx_rtp_out o;
	uint32_t ts;
	uint16_t seq;

	pbx_rtp_out_init(&o, 0x12345678, 500, 90000);
	ck_assert(pbx_rtp_out_map(&o, 1, 0xaaaa, 7, 1000, 160, 0, &seq,
				  &ts));
	ck_assert_uint_eq(seq, 500);
	ck_assert_uint_eq(ts, 90000);
	/* Same source: offsets kept, gaps kept, no marker. */
	ck_assert(!pbx_rtp_out_map(&o, 1, 0xaaaa, 8, 1160, 160, 20 * MS,
				   &seq, &ts));
	ck_assert_uint_eq(seq, 501);
	ck_assert_uint_eq(ts, 90160);
	ck_assert(!pbx_rtp_out_map(&o, 1, 0xaaaa, 10, 1480, 160, 60 * MS,
				   &seq, &ts));
	ck_assert_uint_eq(seq, 503);
	ck_assert_uint_eq(ts, 90480);
	/* A late packet maps back in place, the highest stays. */
	ck_assert(!pbx_rtp_out_map(&o, 1, 0xaaaa, 9, 1320, 160, 61 * MS,
				   &seq, &ts));
	ck_assert_uint_eq(seq, 502);
	ck_assert_uint_eq(o.seq, 503);
	ck_assert_uint_eq(o.ts, 90480);
}
END_TEST

START_TEST(rtp_out_source_change)
{
	struct pbx_rtp_out o;
	uint32_t ts;
	uint16_t seq;

	pbx_rtp_out_init(&o, 1, 65534, 0xfffffe00);
	pbx_rtp_out_map(&o, 1, 0xaaaa, 100, 5000, 160, 0, &seq, &ts);
	pbx_rtp_out_map(&o, 1, 0xaaaa, 101, 5160, 160, 20 * MS, &seq, &ts);
	ck_assert_uint_eq(seq, 65535);
	/* Another endpoint takes over 20 ms later: seq + 1 (wrapping),
	 * ts + 160, marker.
	 */
	ck_assert(pbx_rtp_out_map(&o, 2, 0xbbbb, 40000, 7, 160, 40 * MS,
				  &seq, &ts));
	ck_assert_uint_eq(seq, 0);
	ck_assert_uint_eq(ts, 0xfffffe00u + 320);
	ck_assert(!pbx_rtp_out_map(&o, 2, 0xbbbb, 40001, 167, 160, 60 * MS,
				   &seq, &ts));
	ck_assert_uint_eq(seq, 1);
	ck_assert_uint_eq(ts, 0xfffffe00u + 480);
	/* Its SSRC changes after 1 s of silence: ts follows real time. */
	ck_assert(pbx_rtp_out_map(&o, 2, 0xcccc, 3, 9, 160, 1060 * MS,
				  &seq, &ts));
	ck_assert_uint_eq(seq, 2);
	ck_assert_uint_eq(ts, 0xfffffe00u + 480 + 8000);
	/* A change right away still moves by one packet's duration. */
	ck_assert(pbx_rtp_out_map(&o, 1, 0xaaaa, 102, 5320, 160, 1061 * MS,
				  &seq, &ts));
	ck_assert_uint_eq(seq, 3);
	ck_assert_uint_eq(ts, 0xfffffe00u + 480 + 8000 + 160);
	ck_assert_uint_eq(pbx_rtp_out_ts_at(&o, 1161 * MS),
			  0xfffffe00u + 480 + 8000 + 160 + 800);
}
END_TEST

/* Events do not set the packet duration used across a change. */
START_TEST(rtp_out_events_keep_duration)
{
	struct pbx_rtp_out o;
	uint32_t ts;
	uint16_t seq;

	pbx_rtp_out_init(&o, 1, 10, 1000);
	pbx_rtp_out_map(&o, 1, 5, 1, 100, 240, 0, &seq, &ts);
	pbx_rtp_out_map(&o, 1, 5, 2, 340, 0, 1 * MS, &seq, &ts);
	ck_assert(pbx_rtp_out_map(&o, 2, 6, 50, 0, 240, 2 * MS, &seq, &ts));
	ck_assert_uint_eq(ts, 1000 + 240 + 240);
}
END_TEST

/* ---- rtpstat.c ---- */

START_TEST(rtpstat_in_order_and_loss)
{
	struct pbx_rtpstat s = { 0 };

	for (unsigned i = 0; i < 10; i++)
		if (i != 3 && i != 4)
			ck_assert(pbx_rtpstat_seq(&s, 7, (uint16_t)(65530 +
								    i)));
	ck_assert_uint_eq(pbx_rtpstat_ext_max(&s), 65536 + 3);
	ck_assert_int_eq(pbx_rtpstat_lost(&s), 2);
	ck_assert_uint_eq(pbx_rtpstat_fraction(&s), 2 * 256 / 10);
	/* Next interval: no loss. */
	pbx_rtpstat_seq(&s, 7, 4);
	pbx_rtpstat_seq(&s, 7, 5);
	ck_assert_uint_eq(pbx_rtpstat_fraction(&s), 0);
	/* A duplicate makes cumulative loss go down (A.3). */
	pbx_rtpstat_seq(&s, 7, 5);
	ck_assert_int_eq(pbx_rtpstat_lost(&s), 1);
}
END_TEST

START_TEST(rtpstat_jump_and_new_ssrc)
{
	struct pbx_rtpstat s = { 0 };

	pbx_rtpstat_seq(&s, 7, 100);
	pbx_rtpstat_seq(&s, 7, 101);
	/* One stray far away is refused, two in a row restart. */
	ck_assert(!pbx_rtpstat_seq(&s, 7, 30000));
	ck_assert_uint_eq(s.max_seq, 101);
	ck_assert(pbx_rtpstat_seq(&s, 7, 30001));
	ck_assert_uint_eq(s.max_seq, 30001);
	ck_assert_uint_eq(s.base_seq, 30001);
	ck_assert_int_eq(pbx_rtpstat_lost(&s), 0);
	/* A new SSRC starts over. */
	ck_assert(pbx_rtpstat_seq(&s, 8, 5));
	ck_assert_uint_eq(s.ssrc, 8);
	ck_assert_uint_eq(pbx_rtpstat_ext_max(&s), 5);
	ck_assert_uint_eq(s.received, 1);
}
END_TEST

START_TEST(rtpstat_jitter)
{
	struct pbx_rtpstat s = { 0 };
	uint32_t j;

	pbx_rtpstat_seq(&s, 1, 1);
	/* Perfectly paced: no jitter. */
	for (uint32_t i = 0; i < 50; i++)
		pbx_rtpstat_jitter(&s, 160 * i, 777 + 160 * i);
	ck_assert_uint_eq(pbx_rtpstat_jitter_units(&s), 0);
	/* Arrivals alternately 40 units early and late: |D| = 80, and J
	 * converges to it.
	 */
	for (uint32_t i = 50; i < 400; i++)
		pbx_rtpstat_jitter(&s, 160 * i,
				   777 + 160 * i + (i % 2 ? 40 : -40));
	j = pbx_rtpstat_jitter_units(&s);
	ck_assert_uint_ge(j, 78);
	ck_assert_uint_le(j, 80);
}
END_TEST

/* ---- rtcp.c ---- */

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

START_TEST(rtcp_sr_roundtrip)
{
	uint8_t p[PBX_RTCP_MAX];
	struct pbx_rtcp_sr sr = {
		.ntp = 0x1122334455667788ull, .rtp_ts = 4000,
		.packets = 10, .octets = 1600,
	};
	struct pbx_rtcp_rb rb = {
		.ssrc = 0xabcdef01, .fraction = 25, .lost = -3,
		.ext_max = 70000, .jitter = 12, .lsr = 0x55667788,
		.dlsr = 65536,
	};
	struct pbx_rtcp_info info;
	size_t len;

	len = pbx_rtcp_build(p, sizeof(p), 0x01020304, &sr, &rb, "pbxd-x");
	/* SR 28 + block 24, SDES 4 + 4 + 2 + 6 -> 16 (word aligned). */
	ck_assert_uint_eq(len, 52 + 20);
	ck_assert_uint_eq(p[0], 0x81);
	ck_assert_uint_eq(p[1], PBX_RTCP_SR);
	ck_assert_uint_eq((p[2] << 8 | p[3]), 52 / 4 - 1);
	ck_assert_uint_eq(rd32(p + 8), 0x11223344);
	ck_assert_uint_eq(rd32(p + 20), 10);
	ck_assert_uint_eq(rd32(p + 24), 1600);
	ck_assert_uint_eq(p[52 + 1], PBX_RTCP_SDES);
	ck_assert_uint_eq(p[52 + 8], 1);
	ck_assert_uint_eq(p[52 + 9], 6);
	ck_assert(memcmp(p + 62, "pbxd-x", 6) == 0);
	ck_assert_uint_eq(p[68], 0);

	ck_assert_int_eq(pbx_rtcp_parse(&info, p, len, 0xabcdef01), 0);
	ck_assert(info.sr);
	ck_assert_uint_eq(info.sr_ssrc, 0x01020304);
	ck_assert_uint_eq(info.lsr, 0x33445566);
	ck_assert(info.rb);
	ck_assert_uint_eq(info.block.fraction, 25);
	ck_assert_int_eq(info.block.lost, -3);
	ck_assert_uint_eq(info.block.ext_max, 70000);
	ck_assert_uint_eq(info.block.jitter, 12);
	ck_assert_uint_eq(info.block.dlsr, 65536);
	/* A block about someone else is not ours. */
	ck_assert_int_eq(pbx_rtcp_parse(&info, p, len, 1), 0);
	ck_assert(!info.rb);
}
END_TEST

START_TEST(rtcp_rr_without_block)
{
	uint8_t p[PBX_RTCP_MAX];
	struct pbx_rtcp_info info;
	size_t len;

	len = pbx_rtcp_build(p, sizeof(p), 9, NULL, NULL, "abc");
	ck_assert_uint_eq(len, 8 + 16);
	ck_assert_uint_eq(p[0], 0x80);
	ck_assert_uint_eq(p[1], PBX_RTCP_RR);
	ck_assert_uint_eq(len % 4, 0);
	ck_assert_int_eq(pbx_rtcp_parse(&info, p, len, 9), 0);
	ck_assert(!info.sr && !info.rb);
	ck_assert_uint_eq(pbx_rtcp_build(p, 20, 9, NULL, NULL, "x"), 0);
	/* A CNAME of exactly 62 octets needs one null octet, then aligned. */
	len = pbx_rtcp_build(p, sizeof(p), 9, NULL, NULL,
			     "12345678901234567890123456789012345678901234"
			     "567890123456789012");
	ck_assert_uint_eq(len, 8 + 76);
}
END_TEST

START_TEST(rtcp_parse_bad)
{
	uint8_t p[PBX_RTCP_MAX];
	struct pbx_rtcp_info info;
	size_t len;

	len = pbx_rtcp_build(p, sizeof(p), 9, NULL, NULL, "abc");
	ck_assert_int_eq(pbx_rtcp_parse(&info, p, 7, 9), EBADMSG);
	ck_assert_int_eq(pbx_rtcp_parse(&info, p, len - 4, 9), EBADMSG);
	p[0] = 0x40;
	ck_assert_int_eq(pbx_rtcp_parse(&info, p, len, 9), EBADMSG);
	p[0] = 0xa0;                       /* padding on the first */
	ck_assert_int_eq(pbx_rtcp_parse(&info, p, len, 9), EBADMSG);
	p[0] = 0x80;
	p[1] = PBX_RTCP_SDES;              /* must start with SR or RR */
	ck_assert_int_eq(pbx_rtcp_parse(&info, p, len, 9), EBADMSG);
	p[1] = PBX_RTCP_RR;
	p[3] = 40;                         /* length past the end */
	ck_assert_int_eq(pbx_rtcp_parse(&info, p, len, 9), EBADMSG);
}
END_TEST

START_TEST(rtcp_ntp_now)
{
	uint64_t a = pbx_rtcp_ntp_now();

	/* After 2020 in NTP seconds, before 2036's wrap. */
	ck_assert_uint_gt(a >> 32, 3786825600u);
}
END_TEST

static Suite *rtp_suite(void)
{
	Suite *s = suite_create("rtp");
	TCase *tc = tcase_create("rtp");

	tcase_add_test(tc, rtp_parse_minimal);
	tcase_add_test(tc, rtp_parse_csrc_ext_padding);
	tcase_add_test(tc, rtp_parse_bad);
	tcase_add_test(tc, rtp_out_first_and_steady);
	tcase_add_test(tc, rtp_out_source_change);
	tcase_add_test(tc, rtp_out_events_keep_duration);
	suite_add_tcase(s, tc);

	tc = tcase_create("rtpstat");
	tcase_add_test(tc, rtpstat_in_order_and_loss);
	tcase_add_test(tc, rtpstat_jump_and_new_ssrc);
	tcase_add_test(tc, rtpstat_jitter);
	suite_add_tcase(s, tc);

	tc = tcase_create("rtcp");
	tcase_add_test(tc, rtcp_sr_roundtrip);
	tcase_add_test(tc, rtcp_rr_without_block);
	tcase_add_test(tc, rtcp_parse_bad);
	tcase_add_test(tc, rtcp_ntp_now);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rtp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* media/g711.h - G.711 (ITU-T) mu-law and A-law: decoding to linear,
 * encoding from linear, and direct mu-law <-> A-law transcoding, which is
 * all the media engine needs to bridge a PCMU leg to a PCMA leg.
 * Pure functions over constant tables: safe from any thread.
 */
#ifndef PBX_MEDIA_G711_H
#define PBX_MEDIA_G711_H

#include <stddef.h>
#include <stdint.h>

/* Linear 16-bit sample of the mu-law code <u> (or A-law code <a>). */
int16_t pbx_g711_ulaw_dec(uint8_t u);
int16_t pbx_g711_alaw_dec(uint8_t a);

/* Code of the linear sample <s>: the segment and step containing it. */
uint8_t pbx_g711_ulaw_enc(int16_t s);
uint8_t pbx_g711_alaw_enc(int16_t s);

/* Direct conversions of one code, by the G.711 conversion tables. */
uint8_t pbx_g711_ulaw2alaw(uint8_t u);
uint8_t pbx_g711_alaw2ulaw(uint8_t a);

/* Transcode <n> codes from <src> into <dst>; <dst> may equal <src>. */
void pbx_g711_ulaw2alaw_buf(uint8_t *dst, const uint8_t *src, size_t n);
void pbx_g711_alaw2ulaw_buf(uint8_t *dst, const uint8_t *src, size_t n);

#endif

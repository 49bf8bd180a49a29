/* pbx/codec.h - the audio codecs pbxd speaks, shared by SDP negotiation
 * (core/sip/sdp.c) and the media engine (core/media/). The values are
 * the static RTP payload types of RFC 3551, which is also what they are
 * called on the wire unless an SDP maps them to a dynamic type.
 */
#ifndef PBX_CODEC_H
#define PBX_CODEC_H

enum pbx_codec {
	PBX_CODEC_NONE = -1,
	PBX_CODEC_PCMU = 0,   /* G.711 mu-law, 8 kHz */
	PBX_CODEC_PCMA = 8,   /* G.711 A-law, 8 kHz */
};

#endif

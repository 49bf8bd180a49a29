/* util/uuid.c - random UUIDs (RFC 4122 version 4) from OpenSSL. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/rand.h>

#include "util/uuid.h"

void pbx_uuid_new(char out[PBX_UUID_LEN + 1])
{
	unsigned char u[16];

	if (RAND_bytes(u, sizeof(u)) != 1) {
		/* Never expected; a weak id beats a lost record. */
		for (size_t i = 0; i < sizeof(u); i++)
			u[i] = (unsigned char)random();
	}
	u[6] = (u[6] & 0x0f) | 0x40;      /* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80;      /* RFC 4122 variant */
	snprintf(out, PBX_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

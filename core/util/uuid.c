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

bool pbx_uuid_is_valid(const char *id)
{
	if (!id)
		return false;
	for (size_t i = 0; i < PBX_UUID_LEN; i++) {
		char c = id[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') ||
			     (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return id[PBX_UUID_LEN] == '\0';
}

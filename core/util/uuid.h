/* util/uuid.h - random (version 4) UUIDs for bindings, calls, CDRs. */
#ifndef PBX_UTIL_UUID_H
#define PBX_UTIL_UUID_H

#include <stdbool.h>

#define PBX_UUID_LEN 36           /* text form, without the NUL */

/* Write a new random UUID in text form into <out>. Any thread. */
void pbx_uuid_new(char out[PBX_UUID_LEN + 1]);

/* Whether <id> is a UUID in text form (8-4-4-4-12 hex digits, either
 * case). NULL is not.
 */
bool pbx_uuid_is_valid(const char *id);

#endif

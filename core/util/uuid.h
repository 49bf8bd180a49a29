/* util/uuid.h - random (version 4) UUIDs for bindings, calls, CDRs. */
#ifndef PBX_UTIL_UUID_H
#define PBX_UTIL_UUID_H

#define PBX_UUID_LEN 36           /* text form, without the NUL */

/* Write a new random UUID in text form into <out>. Any thread. */
void pbx_uuid_new(char out[PBX_UUID_LEN + 1]);

#endif

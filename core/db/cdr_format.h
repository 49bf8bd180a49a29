/* db/cdr_format.h - reading spool lines back, for cdr.c's replay. The
 * writing side, pbx_cdr_to_json() and its checks, is public in cdr.h;
 * both live in cdr_format.c. Any thread.
 */
#ifndef PBX_DB_CDR_FORMAT_H
#define PBX_DB_CDR_FORMAT_H

#include <stdbool.h>

#include "db/cdr.h"

/* The call_id of spool line <line> into <id>, for log lines; "?" when
 * the line has none or is not JSON.
 */
void pbx_cdr_line_call_id(const char *line, char id[PBX_CDR_ID_LEN + 1]);

/* True if <line> is a JSON object with a call_id: a line a crash cut
 * short is not, and goes to the rejected file instead.
 */
bool pbx_cdr_line_is_record(const char *line);

#endif

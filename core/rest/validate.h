/* rest/validate.h - pure checks of REST input: user bodies, pagination,
 * ids and token names. No I/O and no MHD, so the unit tests call them
 * directly with json_loads() inputs.
 */
#ifndef PBX_REST_VALIDATE_H
#define PBX_REST_VALIDATE_H

#include <stdbool.h>

#include <jansson.h>

/* What was wrong: the field or parameter at fault ("" for the body as a
 * whole) and a message saying why, for the 400 reply.
 */
struct pbx_rest_verr {
	char field[48];
	char message[256];
};

/* A user body, checked. Strings are borrowed from the JSON they came
 * from. For each optional field, <x_set> says it was present; a NULL
 * string (or max_contacts 0) with <x_set> means JSON null: clear it.
 */
struct pbx_rest_user_in {
	const char *extension;    /* create only */
	const char *password;     /* NULL: not given */
	const char *display_name; /* NULL: not given */
	bool email_set;
	const char *email;
	bool enabled_set;
	bool enabled;
	bool pin_set;
	const char *pin;          /* voicemail_pin */
	bool algs_set;
	const char *algs;         /* auth_algorithms */
	bool max_contacts_set;
	int max_contacts;         /* 1..100, 0 = null */
};

/* Default and largest page size of list endpoints. */
#define PBX_REST_LIMIT_DEFAULT 50
#define PBX_REST_LIMIT_MAX     500

/* Check the body of POST /users: an object with "extension" and
 * "password" and only known fields. Returns 0 with <in> filled, or
 * EINVAL with <verr> saying which field and why.
 */
int pbx_rest_validate_user_create(const json_t *body,
				  struct pbx_rest_user_in *in,
				  struct pbx_rest_verr *verr);

/* Check the body of PATCH /users/<ext>: at least one known field, never
 * "extension". <ext> is the user's extension (the password policy
 * refuses passwords containing it). 0 with <in> filled, or EINVAL.
 */
int pbx_rest_validate_user_patch(const json_t *body, const char *ext,
				 struct pbx_rest_user_in *in,
				 struct pbx_rest_verr *verr);

/* Parse the "limit" and "offset" query arguments (NULL when absent):
 * limit 1..PBX_REST_LIMIT_MAX (default PBX_REST_LIMIT_DEFAULT), offset
 * 0..INT32_MAX (default 0), plain decimal digits only. 0 or EINVAL.
 */
int pbx_rest_validate_page(const char *limit, const char *offset,
			   unsigned *limitp, unsigned *offsetp,
			   struct pbx_rest_verr *verr);

/* True if <ext> is 2 to 10 digits, the extension format of the schema. */
bool pbx_rest_validate_extension(const char *ext);

/* True if <id> is a uuid in its canonical 8-4-4-4-12 hex form. */
bool pbx_rest_validate_uuid(const char *id);

/* API token names: 1..64 of [A-Za-z0-9._-]. 0 or EINVAL with <verr>
 * (field "name").
 */
int pbx_rest_validate_token_name(const char *name,
				 struct pbx_rest_verr *verr);

#endif

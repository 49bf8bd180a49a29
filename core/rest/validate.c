/* rest/validate.c - pure checks of REST input. Each rejection names the
 * field at fault and says what was expected, because the message goes
 * straight back to the administrator. The SQL schema's CHECKs are the
 * last line; these run first so the answer is a 400, not a 500.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rest/validate.h"
#include "util/secret.h"
#include "util/uuid.h"

#define DISPLAY_NAME_MAX 64       /* characters, not bytes */
#define EMAIL_MAX        254      /* RFC 5321 4.5.3.1.3 path limit */
#define TOKEN_NAME_MAX   64

static const char *const user_fields[] = {
	"extension", "password", "display_name", "email", "enabled",
	"voicemail_pin", "auth_algorithms", "max_contacts", NULL,
};

static const char *const algs_allowed[] = {
	"MD5", "SHA-256", "SHA-256,MD5", "MD5,SHA-256", NULL,
};

static int reject(struct pbx_rest_verr *verr, const char *field,
		  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reject(struct pbx_rest_verr *verr, const char *field,
		  const char *fmt, ...)
{
	va_list ap;

	snprintf(verr->field, sizeof(verr->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(verr->message, sizeof(verr->message), fmt, ap);
	va_end(ap);
	return EINVAL;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++) {
		if (!strcmp(s, *list))
			return true;
	}
	return false;
}

bool pbx_rest_validate_extension(const char *ext)
{
	size_t n = 0;

	if (!ext)
		return false;
	for (; ext[n]; n++) {
		if (ext[n] < '0' || ext[n] > '9')
			return false;
	}
	return n >= 2 && n <= 10;
}

bool pbx_rest_validate_uuid(const char *id)
{
	return pbx_uuid_is_valid(id);
}

int pbx_rest_validate_token_name(const char *name,
				 struct pbx_rest_verr *verr)
{
	size_t n = 0;

	for (; name && name[n]; n++) {
		char c = name[n];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			break;
	}
	if (!name || name[n] || n == 0 || n > TOKEN_NAME_MAX)
		return reject(verr, "name", "name must be 1 to %d characters "
			      "of A-Z, a-z, 0-9, '.', '_' and '-'",
			      TOKEN_NAME_MAX);
	return 0;
}

/* A strict unsigned decimal: digits only (no sign, space or "0x"), so
 * "limit=5abc" is an error rather than 5.
 */
static bool parse_uint(const char *s, unsigned max, unsigned *vp)
{
	unsigned long long v = 0;
	size_t i;

	if (!s[0])
		return false;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > max)
			return false;
	}
	*vp = (unsigned)v;
	return true;
}

int pbx_rest_validate_page(const char *limit, const char *offset,
			   unsigned *limitp, unsigned *offsetp,
			   struct pbx_rest_verr *verr)
{
	unsigned l = PBX_REST_LIMIT_DEFAULT, o = 0;

	if (limit && (!parse_uint(limit, PBX_REST_LIMIT_MAX, &l) || l < 1))
		return reject(verr, "limit", "limit must be an integer from "
			      "1 to %d, not '%.32s'", PBX_REST_LIMIT_MAX,
			      limit);
	if (offset && !parse_uint(offset, INT32_MAX, &o))
		return reject(verr, "offset", "offset must be an integer "
			      "from 0 to %d, not '%.32s'", INT32_MAX, offset);

	*limitp = l;
	*offsetp = o;
	return 0;
}

/* ---- User fields ---- */

/* Up to <max> characters and no control characters (C0, DEL, C1): a
 * display name ends up in SIP From headers and on phone screens.
 * jansson has already checked the UTF-8, so counting lead bytes counts
 * characters.
 */
static int check_display_name(const json_t *v, struct pbx_rest_verr *verr)
{
	const unsigned char *s;
	size_t chars = 0;

	if (!json_is_string(v))
		return reject(verr, "display_name",
			      "display_name must be a string");

	s = (const unsigned char *)json_string_value(v);
	for (; *s; s++) {
		if (*s < 0x20 || *s == 0x7f ||
		    (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f))
			return reject(verr, "display_name", "display_name "
				      "must not contain control characters");
		if ((*s & 0xc0) != 0x80)
			chars++;
	}
	if (chars > DISPLAY_NAME_MAX)
		return reject(verr, "display_name", "display_name must be at "
			      "most %d characters, not %zu",
			      DISPLAY_NAME_MAX, chars);
	return 0;
}

/* Only the shape: one '@', something before it, a dotted domain after
 * it, no spaces or control characters. Whether it delivers is not ours
 * to know.
 */
static bool email_ok(const char *s)
{
	const char *at = strchr(s, '@'), *dom, *p;
	size_t len = strlen(s);

	if (len > EMAIL_MAX || !at || at == s || strchr(at + 1, '@'))
		return false;
	for (p = s; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return false;
	}
	dom = at + 1;
	if (!*dom || *dom == '.' || s[len - 1] == '.' ||
	    !strchr(dom, '.') || strstr(dom, ".."))
		return false;
	return true;
}

static int check_email(const json_t *v, struct pbx_rest_user_in *in,
		       struct pbx_rest_verr *verr)
{
	in->email_set = true;
	if (json_is_null(v)) {
		in->email = NULL;
		return 0;
	}
	if (!json_is_string(v) || !email_ok(json_string_value(v)))
		return reject(verr, "email", "email must look like "
			      "name@example.com (at most %d characters), "
			      "or be null", EMAIL_MAX);
	in->email = json_string_value(v);
	return 0;
}

static int check_password(const json_t *v, const char *ext,
			  struct pbx_rest_user_in *in,
			  struct pbx_rest_verr *verr)
{
	char why[160];

	/* secret.c words its reasons to follow the field name: "password
	 * must be at least 8 characters".
	 */
	if (!json_is_string(v))
		return reject(verr, "password", "password must be a string");
	why[0] = '\0';
	if (pbx_secret_password_check(json_string_value(v), ext, why,
				      sizeof(why)))
		return reject(verr, "password", "password %s",
			      why[0] ? why : "does not meet the policy");
	in->password = json_string_value(v);
	return 0;
}

static int check_pin(const json_t *v, struct pbx_rest_user_in *in,
		     struct pbx_rest_verr *verr)
{
	char why[160];

	in->pin_set = true;
	if (json_is_null(v)) {
		in->pin = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return reject(verr, "voicemail_pin", "voicemail_pin must be "
			      "a string of digits, or null");
	why[0] = '\0';
	if (pbx_secret_pin_check(json_string_value(v), why, sizeof(why)))
		return reject(verr, "voicemail_pin", "voicemail_pin %s",
			      why[0] ? why : "does not meet the policy");
	in->pin = json_string_value(v);
	return 0;
}

static int check_algs(const json_t *v, struct pbx_rest_user_in *in,
		      struct pbx_rest_verr *verr)
{
	in->algs_set = true;
	if (json_is_null(v)) {
		in->algs = NULL;
		return 0;
	}
	if (!json_is_string(v) ||
	    !in_list(json_string_value(v), algs_allowed))
		return reject(verr, "auth_algorithms", "auth_algorithms must "
			      "be \"MD5\", \"SHA-256\", \"SHA-256,MD5\", "
			      "\"MD5,SHA-256\" or null");
	in->algs = json_string_value(v);
	return 0;
}

static int check_max_contacts(const json_t *v, struct pbx_rest_user_in *in,
			      struct pbx_rest_verr *verr)
{
	json_int_t n;

	in->max_contacts_set = true;
	if (json_is_null(v)) {
		in->max_contacts = 0;
		return 0;
	}
	n = json_is_integer(v) ? json_integer_value(v) : 0;
	if (n < 1 || n > 100)
		return reject(verr, "max_contacts", "max_contacts must be an "
			      "integer from 1 to 100, or null");
	in->max_contacts = (int)n;
	return 0;
}

/* The fields both create and patch accept, in a fixed order so the
 * first error reported does not depend on the order of the body.
 */
static int check_optional(const json_t *body, const char *ext,
			  struct pbx_rest_user_in *in,
			  struct pbx_rest_verr *verr)
{
	const json_t *v;
	int err = 0;

	if ((v = json_object_get(body, "password")))
		err = check_password(v, ext, in, verr);
	if (!err && (v = json_object_get(body, "display_name"))) {
		err = check_display_name(v, verr);
		in->display_name = json_string_value(v);
	}
	if (!err && (v = json_object_get(body, "email")))
		err = check_email(v, in, verr);
	if (!err && (v = json_object_get(body, "enabled"))) {
		if (!json_is_boolean(v))
			return reject(verr, "enabled",
				      "enabled must be true or false");
		in->enabled_set = true;
		in->enabled = json_is_true(v);
	}
	if (!err && (v = json_object_get(body, "voicemail_pin")))
		err = check_pin(v, in, verr);
	if (!err && (v = json_object_get(body, "auth_algorithms")))
		err = check_algs(v, in, verr);
	if (!err && (v = json_object_get(body, "max_contacts")))
		err = check_max_contacts(v, in, verr);
	return err;
}

static int check_known(const json_t *body, struct pbx_rest_verr *verr)
{
	const char *key;
	json_t *v;

	if (!json_is_object(body))
		return reject(verr, "", "request body must be a JSON object");

	json_object_foreach((json_t *)body, key, v) {
		if (!in_list(key, user_fields))
			return reject(verr, key, "unknown field '%.64s'",
				      key);
	}
	return 0;
}

int pbx_rest_validate_user_create(const json_t *body,
				  struct pbx_rest_user_in *in,
				  struct pbx_rest_verr *verr)
{
	const json_t *v;
	int err;

	memset(in, 0, sizeof(*in));
	err = check_known(body, verr);
	if (err)
		return err;

	v = json_object_get(body, "extension");
	if (!v)
		return reject(verr, "extension", "extension is required");
	if (!json_is_string(v) ||
	    !pbx_rest_validate_extension(json_string_value(v)))
		return reject(verr, "extension", "extension must be a string "
			      "of 2 to 10 digits");
	in->extension = json_string_value(v);

	if (!json_object_get(body, "password"))
		return reject(verr, "password", "password is required");

	return check_optional(body, in->extension, in, verr);
}

int pbx_rest_validate_user_patch(const json_t *body, const char *ext,
				 struct pbx_rest_user_in *in,
				 struct pbx_rest_verr *verr)
{
	int err;

	memset(in, 0, sizeof(*in));
	err = check_known(body, verr);
	if (err)
		return err;

	if (json_object_get(body, "extension"))
		return reject(verr, "extension",
			      "extension cannot be changed");
	if (json_object_size(body) == 0)
		return reject(verr, "", "the body names no field to change");

	return check_optional(body, ext, in, verr);
}

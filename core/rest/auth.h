/* rest/auth.h - bearer-token authentication of REST requests. */
#ifndef PBX_REST_AUTH_H
#define PBX_REST_AUTH_H

#include "rest/req.h"

/* Check the "Authorization: Bearer <token>" of <req> against the hashes
 * in api_tokens. Returns 0 if it is valid; EACCES after replying 401
 * (with WWW-Authenticate) if it is missing or wrong; EIO or EPROTO,
 * without replying, when the database cannot say.
 */
int pbx_rest_auth_check(struct pbx_rest_req *req);

#endif

/* sip/registrar_int.h - the registrar's entry point for sipua.c. */
#ifndef PBX_SIP_REGISTRAR_INT_H
#define PBX_SIP_REGISTRAR_INT_H

#include <stdbool.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>

#include "sip/auth.h"

struct pbx_registrar;

/* A REGISTER arrived on the fresh handle <nh>; answer it now or, when
 * the user must be read from PostgreSQL, later. Takes <nh> over.
 */
void pbx_registrar_handle(struct pbx_registrar *reg, nua_t *nua,
			  nua_handle_t *nh, const sip_t *sip);

/* ---- The registrar's digest state, shared with INVITE auth ---- */

struct pbx_user;
struct pbx_users;

/* Algorithms offered to <user> (its own choice, else the global one;
 * unknown users get the global one, so they cannot be told apart).
 */
enum pbx_cfg_auth_algs pbx_registrar_algs(const struct pbx_registrar *reg,
					  const struct pbx_user *user);

/* Judge credentials <ar> of a <method> request from <user>. */
enum pbx_auth_verdict pbx_registrar_verify(struct pbx_registrar *reg,
					   const auth_response_t *ar,
					   const struct pbx_user *user,
					   const char *method);

/* The challenge values for <user> into <out>; returns how many. */
int pbx_registrar_challenge(struct pbx_registrar *reg,
			    const struct pbx_user *user, bool stale,
			    char out[2][PBX_AUTH_CHALLENGE_MAX]);

const char *pbx_registrar_realm(const struct pbx_registrar *reg);
struct pbx_users *pbx_registrar_users(const struct pbx_registrar *reg);

/* Failed-auth limiting per source address, shared with the registrar. */
bool pbx_registrar_blocked(struct pbx_registrar *reg, const char *ip);
void pbx_registrar_failed(struct pbx_registrar *reg, const char *ip,
			  const char *ext);

#endif

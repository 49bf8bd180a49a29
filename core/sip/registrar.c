/* sip/registrar.c - REGISTER (RFC 3261 10.3). Authentication first
 * (digest against the user cache; a miss asks PostgreSQL and answers
 * when the row comes back), then every contact is validated before any
 * binding changes, so a request is applied whole or not at all.
 */
#define PBX_LOG_TAG "registrar"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include <pbx/log.h>
#include <pbx/loop.h>

#include "db/location.h"
#include "db/users.h"
#include "sip/auth.h"
#include "sip/authguard.h"
#include "sip/deferred.h"
#include "sip/registrar.h"
#include "sip/registrar_int.h"
#include "sip/sip_int.h"

/* Housekeeping tick: expired bindings and stale auth-failure counters. */
#define TICK_MS 1000

struct pbx_registrar {
	struct pbx_users *users;      /* (borrowed) */
	struct pbx_location *loc;     /* (borrowed) */
	struct pbx_authguard *guard;
	struct pbx_nonce_key key;
	char realm[128];
	unsigned min_expires, max_expires, default_expires, max_contacts;
	enum pbx_cfg_auth_algs algs;
	unsigned nonce_ttl;
	char *nonce_secret;           /* what <key> was made from */
	struct pbx_timer *tick;
};

/* ---- Answering ---- */

static void challenge(struct pbx_deferred_req *rq,
		      enum pbx_cfg_auth_algs algs, bool stale)
{
	char hdr[2][PBX_AUTH_CHALLENGE_MAX];
	int n = pbx_auth_challenge(hdr, rq->reg->realm, &rq->reg->key, algs,
				   stale);

	if (!n) {
		pbx_deferred_respond(rq, SIP_500_INTERNAL_SERVER_ERROR,
				     TAG_END());
		return;
	}
	pbx_deferred_respond(rq, SIP_401_UNAUTHORIZED,
			     SIPTAG_WWW_AUTHENTICATE_STR(hdr[0]),
			     TAG_IF(n > 1,
				    SIPTAG_WWW_AUTHENTICATE_STR(hdr[1])),
			     TAG_END());
}

static void q_text(char *out, size_t sz, unsigned q)
{
	if (q >= 1000)
		snprintf(out, sz, "1");
	else if (q % 100 == 0)
		snprintf(out, sz, "0.%u", q / 100);
	else if (q % 10 == 0)
		snprintf(out, sz, "0.%02u", q / 10);
	else
		snprintf(out, sz, "0.%03u", q);
}

/* 200 OK listing every binding of the AoR with its time left. */
static void reply_bindings(struct pbx_deferred_req *rq, time_t now)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct pbx_aor *aor = pbx_location_find(rq->reg->loc, rq->ext);
	sip_contact_t *list = NULL, **tail = &list;
	const sip_t *sip = rq->sip;
	bool path = sip->sip_path && sip_has_supported(sip->sip_supported,
						       "path");

	for (struct pbx_binding *b = aor ? aor->bindings : NULL; b;
	     b = b->next) {
		char q[8];
		unsigned long left = b->expires > now ? b->expires - now : 0;
		sip_contact_t *m;

		q_text(q, sizeof(q), b->q);
		m = b->q >= 1000 ?
			sip_contact_format(home, "<%s>;expires=%lu",
					   b->contact, left) :
			sip_contact_format(home, "<%s>;expires=%lu;q=%s",
					   b->contact, left, q);
		if (m) {
			*tail = m;
			tail = &m->m_next;
		}
	}
	pbx_deferred_respond(rq, SIP_200_OK,
			     TAG_IF(list, SIPTAG_CONTACT(list)),
			     TAG_IF(path, SIPTAG_PATH(sip->sip_path)),
			     SIPTAG_DATE(sip_date_create(home, sip_now())),
			     TAG_END());
	su_home_deinit(home);
}

/* ---- Bindings (RFC 3261 10.3 steps 6-8) ---- */

struct change {
	const sip_contact_t *m;
	struct pbx_binding *b;        /* existing binding, or NULL */
	unsigned long expires;        /* seconds, 0 = remove */
	unsigned q;
	char *uri;                    /* in the request's home */
};

static struct pbx_binding *match(su_home_t *home, struct pbx_aor *aor,
				 const url_t *url)
{
	for (struct pbx_binding *b = aor ? aor->bindings : NULL; b;
	     b = b->next) {
		url_t *u = url_make(home, b->contact);

		if (u && !url_cmp_all(u, url))
			return b;
	}
	return NULL;
}

/* "0.5" -> 500; -1 if not a q-value (RFC 3261 20.10). */
static int parse_q(const char *s)
{
	char *end;
	double v;

	if (!s)
		return 1000;
	v = strtod(s, &end);
	if (end == s || *end || v < 0.0 || v > 1.0)
		return -1;
	return (int)(v * 1000.0 + 0.5);
}

static char *path_text(su_home_t *home, const sip_t *sip)
{
	char *out = NULL;

	for (const sip_path_t *p = sip->sip_path; p; p = p->r_next) {
		char *one = sip_header_as_string(home, (const sip_header_t *)p);

		out = out ? su_sprintf(home, "%s, %s", out, one) : one;
	}
	return out;
}

static void remove_all(struct pbx_deferred_req *rq)
{
	pbx_location_remove_aor(rq->reg->loc, rq->ext);
	PBX_CINFO(rq->callid, "%s removed all bindings", rq->ext);
}

/* Validate every contact into <ch>; on a problem answer and return
 * non-zero, with nothing changed yet.
 */
static int plan(struct pbx_deferred_req *rq, su_home_t *home,
		struct pbx_aor *aor, const struct pbx_user *user,
		struct change *ch, size_t n)
{
	struct pbx_registrar *reg = rq->reg;
	const sip_t *sip = rq->sip;
	unsigned limit = user->max_contacts ? user->max_contacts :
			 reg->max_contacts;
	unsigned total = aor ? aor->count : 0;
	size_t i = 0;

	for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
		struct change *c = &ch[i++];
		int q = parse_q(m->m_q);

		c->m = m;
		if (m->m_expires)
			c->expires = strtoul(m->m_expires, NULL, 10);
		else if (sip->sip_expires)
			c->expires = sip->sip_expires->ex_delta;
		else
			c->expires = reg->default_expires;
		if (c->expires && c->expires < reg->min_expires) {
			char min[16];

			snprintf(min, sizeof(min), "%u", reg->min_expires);
			pbx_deferred_respond(rq, SIP_423_INTERVAL_TOO_BRIEF,
					     SIPTAG_MIN_EXPIRES_STR(min),
					     TAG_END());
			return -1;
		}
		if (c->expires > reg->max_expires)
			c->expires = reg->max_expires;
		if (q < 0) {
			pbx_deferred_respond(rq, 400,
					     "Invalid q-value in Contact",
					     TAG_END());
			return -1;
		}
		c->q = (unsigned)q;
		/* One binding changed twice in one request would leave the
		 * second change pointing at what the first one removed.
		 */
		for (size_t j = 0; j + 1 < i; j++) {
			if (!url_cmp_all(ch[j].m->m_url, m->m_url)) {
				pbx_deferred_respond(rq, 400,
						     "Duplicate Contact",
						     TAG_END());
				return -1;
			}
		}
		c->uri = url_as_string(home, m->m_url);
		c->b = match(home, aor, m->m_url);
		if (c->b && !strcmp(c->b->call_id, sip->sip_call_id->i_id) &&
		    sip->sip_cseq->cs_seq <= c->b->cseq) {
			/* RFC 3261 10.3 step 7: an old request must not undo
			 * a newer one.
			 */
			pbx_deferred_respond(rq, 400,
					     "Out-of-order CSeq for this "
					     "Call-ID",
					     TAG_END());
			return -1;
		}
		if (!c->b && c->expires)
			total++;
		else if (c->b && !c->expires)
			total--;
	}
	(void)n;
	if (total > limit) {
		PBX_CINFO(rq->callid, "%s refused: %u contacts, limit %u",
			  rq->ext, total, limit);
		pbx_deferred_respond(rq, 403, "Too many registered contacts",
				     TAG_END());
		return -1;
	}
	return 0;
}

static void save_bindings(struct pbx_deferred_req *rq,
			  const struct pbx_user *user)
{
	struct pbx_registrar *reg = rq->reg;
	const sip_t *sip = rq->sip;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct pbx_aor *aor = pbx_location_find(reg->loc, rq->ext);
	time_t now = time(NULL);
	struct change *ch = NULL;
	size_t n = 0;
	char *path;

	if (!sip->sip_contact)
		goto reply;
	for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
		if (m->m_url->url_type == url_any) {
			if (m != sip->sip_contact || m->m_next ||
			    !sip->sip_expires ||
			    sip->sip_expires->ex_delta != 0) {
				pbx_deferred_respond(rq, 400, "Invalid "
						     "wildcard Contact",
						     TAG_END());
				goto out;
			}
			remove_all(rq);
			goto reply;
		}
		n++;
	}
	ch = su_zalloc(home, n * sizeof(*ch));
	if (!ch) {
		pbx_deferred_respond(rq, SIP_500_INTERNAL_SERVER_ERROR,
				     TAG_END());
		goto out;
	}
	if (plan(rq, home, aor, user, ch, n))
		goto out;

	path = path_text(home, sip);
	for (size_t i = 0; i < n; i++) {
		struct change *c = &ch[i];
		struct pbx_binding_info in = {
			.contact = c->uri,
			.path = path,
			.user_agent = sip->sip_user_agent ?
				      sip->sip_user_agent->g_string : NULL,
			.call_id = sip->sip_call_id->i_id,
			.cseq = sip->sip_cseq->cs_seq,
			.q = c->q,
			.expires = now + (time_t)c->expires,
			.source_ip = rq->ip,
			.source_port = rq->port,
			.transport = rq->transport,
		};

		if (!c->expires) {
			if (c->b) {
				pbx_location_remove(reg->loc, aor, c->b);
				aor = pbx_location_find(reg->loc, rq->ext);
			}
			continue;
		}
		if (pbx_location_save(reg->loc, rq->ext, c->b, &in)) {
			pbx_deferred_respond(rq, SIP_500_INTERNAL_SERVER_ERROR,
					     TAG_END());
			goto out;
		}
		aor = pbx_location_find(reg->loc, rq->ext);
		PBX_CDEBUG(rq->callid, "%s %s %s for %lus", rq->ext,
			   c->b ? "refreshed" : "bound", c->uri, c->expires);
	}
 reply:
	reply_bindings(rq, now);
 out:
	su_home_deinit(home);
}

/* ---- Authentication ---- */

static void authenticate(struct pbx_deferred_req *rq,
			 const struct pbx_user *user)
{
	struct pbx_registrar *reg = rq->reg;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	enum pbx_cfg_auth_algs algs = reg->algs;
	auth_response_t ar[1] = {{ .ar_size = sizeof(ar[0]) }};
	enum pbx_auth_verdict v;
	int err;

	/* The per-user choice applies only to users that exist, so an
	 * unknown extension is challenged exactly like a default one.
	 */
	if (user->known && user->auth_algorithms >= 0)
		algs = (enum pbx_cfg_auth_algs)user->auth_algorithms;

	err = pbx_auth_find(home, rq->sip, reg->realm, ar);
	if (err == ENOENT) {
		challenge(rq, algs, false);
		goto out;
	}
	if (err) {
		pbx_deferred_respond(rq, 400, "Malformed Authorization header",
				     TAG_END());
		goto out;
	}
	v = strcmp(ar->ar_username, rq->ext) ? PBX_AUTH_REJECT :
	    pbx_auth_verify(ar, user, reg->realm, "REGISTER", &reg->key,
			    reg->nonce_ttl, algs);
	switch (v) {
	case PBX_AUTH_OK:
		save_bindings(rq, user);
		break;
	case PBX_AUTH_STALE:
		challenge(rq, algs, true);
		break;
	case PBX_AUTH_RECHALLENGE:
		challenge(rq, algs, false);
		break;
	case PBX_AUTH_REJECT:
		PBX_CINFO(rq->callid, "authentication of %s failed from %s",
			  rq->ext, rq->ip);
		if (pbx_authguard_failed(reg->guard, rq->ip, time(NULL)))
			PBX_WARN("blocking %s: too many failed "
				 "authentications (last as '%s')", rq->ip,
				 rq->ext);
		pbx_deferred_respond(rq, SIP_403_FORBIDDEN, TAG_END());
		break;
	}
 out:
	su_home_deinit(home);
}

void pbx_registrar_handle(struct pbx_registrar *reg, nua_t *nua,
			  nua_handle_t *nh, const sip_t *sip)
{
	struct pbx_deferred_req stack_rq = {
		.reg = reg, .nua = nua, .nh = nh, .sip = sip,
		.msg = nua_current_request(nua), .log_tag = PBX_LOG_TAG,
	};
	struct pbx_deferred_req *rq = &stack_rq;
	const struct pbx_user *user;
	const url_t *to = sip->sip_to ? sip->sip_to->a_url : NULL;

	rq->callid = sip->sip_call_id ? sip->sip_call_id->i_id : NULL;
	/* The real source (not the Via) is what reaches a phone behind
	 * NAT.
	 */
	pbx_sip_source(rq->msg, rq->ip, &rq->port, &rq->transport);
	if (pbx_authguard_blocked(reg->guard, rq->ip, time(NULL))) {
		pbx_deferred_respond(rq, 403,
				     "Too many failed authentications",
				     TAG_END());
		return;
	}
	if (!to || !to->url_user || !*to->url_user ||
	    strlen(to->url_user) >= sizeof(rq->ext)) {
		pbx_deferred_respond(rq, 404, "No user in the To address",
				     TAG_END());
		return;
	}
	snprintf(rq->ext, sizeof(rq->ext), "%s", to->url_user);

	user = pbx_users_find(reg->users, rq->ext, time(NULL));
	if (user) {
		authenticate(rq, user);
		return;
	}

	/* Not cached: keep the request and answer when the row arrives. */
	pbx_deferred_fetch(rq, reg->users, authenticate);
}

/* ---- Shared with INVITE authentication (invite.c) ---- */

enum pbx_cfg_auth_algs pbx_registrar_algs(const struct pbx_registrar *reg,
					  const struct pbx_user *user)
{
	if (user && user->known && user->auth_algorithms >= 0)
		return (enum pbx_cfg_auth_algs)user->auth_algorithms;
	return reg->algs;
}

enum pbx_auth_verdict pbx_registrar_verify(struct pbx_registrar *reg,
					   const auth_response_t *ar,
					   const struct pbx_user *user,
					   const char *method)
{
	return pbx_auth_verify(ar, user, reg->realm, method, &reg->key,
			       reg->nonce_ttl, pbx_registrar_algs(reg, user));
}

int pbx_registrar_challenge(struct pbx_registrar *reg,
			    const struct pbx_user *user, bool stale,
			    char out[2][PBX_AUTH_CHALLENGE_MAX])
{
	return pbx_auth_challenge(out, reg->realm, &reg->key,
				  pbx_registrar_algs(reg, user), stale);
}

const char *pbx_registrar_realm(const struct pbx_registrar *reg)
{
	return reg->realm;
}

struct pbx_users *pbx_registrar_users(const struct pbx_registrar *reg)
{
	return reg->users;
}

bool pbx_registrar_blocked(struct pbx_registrar *reg, const char *ip)
{
	return pbx_authguard_blocked(reg->guard, ip, time(NULL));
}

void pbx_registrar_failed(struct pbx_registrar *reg, const char *ip,
			  const char *ext)
{
	if (pbx_authguard_failed(reg->guard, ip, time(NULL)))
		PBX_WARN("blocking %s: too many failed authentications "
			 "(last as '%s')", ip, ext);
}

/* ---- Lifecycle ---- */

static void on_tick(void *arg)
{
	struct pbx_registrar *reg = arg;
	time_t now = time(NULL);
	unsigned n = pbx_location_purge(reg->loc, now);

	if (n)
		PBX_DEBUG("%u bindings expired", n);
	pbx_authguard_expire(reg->guard, now);
	pbx_timer_start(reg->tick, TICK_MS, on_tick, reg);
}

int pbx_registrar_config(struct pbx_registrar *reg,
			 const struct pbx_cfg *cfg)
{
	/* A new key voids every nonce in flight: make one only at start
	 * and when the configured secret really changed.
	 */
	if (!reg->nonce_secret ||
	    strcmp(reg->nonce_secret, cfg->auth_nonce_secret)) {
		char *secret = strdup(cfg->auth_nonce_secret);

		if (!secret ||
		    pbx_nonce_key_init(&reg->key, cfg->auth_nonce_secret)) {
			free(secret);
			return EIO;
		}
		free(reg->nonce_secret);
		reg->nonce_secret = secret;
	}
	snprintf(reg->realm, sizeof(reg->realm), "%s", cfg->sip_realm);
	reg->min_expires = cfg->reg_min_expires;
	reg->max_expires = cfg->reg_max_expires;
	reg->default_expires = cfg->reg_default_expires;
	reg->max_contacts = cfg->reg_max_contacts;
	reg->algs = cfg->auth_algorithms;
	reg->nonce_ttl = cfg->auth_nonce_ttl;
	pbx_authguard_config(reg->guard, cfg->auth_fail_limit,
			     cfg->auth_fail_window, cfg->auth_block_time);
	return 0;
}

int pbx_registrar_alloc(struct pbx_registrar **regp,
			const struct pbx_cfg *cfg, struct pbx_users *users,
			struct pbx_location *loc)
{
	struct pbx_registrar *reg;
	int err;

	if (!regp || !cfg || !users || !loc)
		return EINVAL;
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return ENOMEM;
	reg->users = users;
	reg->loc = loc;
	err = pbx_authguard_alloc(&reg->guard, cfg->auth_fail_limit,
				  cfg->auth_fail_window,
				  cfg->auth_block_time);
	if (!err)
		err = pbx_registrar_config(reg, cfg);
	if (!err)
		err = pbx_timer_alloc(&reg->tick);
	if (!err)
		err = pbx_timer_start(reg->tick, TICK_MS, on_tick, reg);
	if (err)
		pbx_registrar_free(reg);
	else
		*regp = reg;
	return err;
}

void pbx_registrar_free(struct pbx_registrar *reg)
{
	if (!reg)
		return;
	pbx_timer_free(reg->tick);
	pbx_authguard_free(reg->guard);
	free(reg->nonce_secret);
	free(reg);
}

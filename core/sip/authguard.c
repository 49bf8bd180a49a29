/* sip/authguard.c - failed-authentication limiter (see authguard.h).
 * A fixed window per source is enough here: the point is to stop
 * password guessing, not to shape traffic.
 */
#include <errno.h>
#include <stdlib.h>

#include "sip/authguard.h"
#include "util/strmap.h"

struct source {
	time_t window_start;
	time_t blocked_until;
	unsigned failures;
};

struct pbx_authguard {
	struct pbx_strmap *sources;   /* ip -> struct source */
	unsigned limit, window, block;
};

int pbx_authguard_alloc(struct pbx_authguard **gp, unsigned limit,
			unsigned window, unsigned block)
{
	struct pbx_authguard *g;

	if (!gp)
		return EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return ENOMEM;
	if (pbx_strmap_alloc(&g->sources, free)) {
		free(g);
		return ENOMEM;
	}
	pbx_authguard_config(g, limit, window, block);
	*gp = g;
	return 0;
}

void pbx_authguard_config(struct pbx_authguard *g, unsigned limit,
			  unsigned window, unsigned block)
{
	g->limit = limit;
	g->window = window ? window : 1;
	g->block = block;
}

void pbx_authguard_free(struct pbx_authguard *g)
{
	if (!g)
		return;
	pbx_strmap_free(g->sources);
	free(g);
}

bool pbx_authguard_blocked(struct pbx_authguard *g, const char *ip,
			   time_t now)
{
	struct source *s = pbx_strmap_get(g->sources, ip);

	return g->limit && s && s->blocked_until > now;
}

bool pbx_authguard_failed(struct pbx_authguard *g, const char *ip,
			  time_t now)
{
	struct source *s;

	if (!g->limit)
		return false;
	s = pbx_strmap_get(g->sources, ip);
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s || pbx_strmap_put(g->sources, ip, s, NULL)) {
			free(s);
			return false;
		}
	}
	if (now - s->window_start >= (time_t)g->window) {
		s->window_start = now;
		s->failures = 0;
	}
	if (++s->failures < g->limit || s->blocked_until > now)
		return false;
	s->blocked_until = now + g->block;
	return true;
}

struct expire {
	struct pbx_authguard *g;
	time_t now;
};

static int expire_one(const char *ip, void *value, void *arg)
{
	struct expire *e = arg;
	struct source *s = value;

	if (s->blocked_until <= e->now &&
	    e->now - s->window_start >= (time_t)e->g->window)
		free(pbx_strmap_del(e->g->sources, ip));
	return 0;
}

void pbx_authguard_expire(struct pbx_authguard *g, time_t now)
{
	struct expire e = { g, now };

	pbx_strmap_walk(g->sources, expire_one, &e);
}

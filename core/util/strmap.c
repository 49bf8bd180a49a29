/* util/strmap.c - string-keyed hash map with FNV-1a and chaining; the
 * table doubles when it holds more entries than buckets.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/strmap.h"

struct entry {
	struct entry *next;
	uint32_t hash;
	void *value;
	char key[];
};

struct pbx_strmap {
	struct entry **buckets;
	size_t nbuckets;          /* power of two */
	size_t count;
	pbx_strmap_free_h *vfree;
};

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

int pbx_strmap_alloc(struct pbx_strmap **mapp, pbx_strmap_free_h *vfree)
{
	struct pbx_strmap *map;

	if (!mapp)
		return EINVAL;
	map = calloc(1, sizeof(*map));
	if (!map)
		return ENOMEM;
	map->nbuckets = 64;
	map->buckets = calloc(map->nbuckets, sizeof(*map->buckets));
	if (!map->buckets) {
		free(map);
		return ENOMEM;
	}
	map->vfree = vfree;
	*mapp = map;
	return 0;
}

void pbx_strmap_free(struct pbx_strmap *map)
{
	if (!map)
		return;
	for (size_t i = 0; i < map->nbuckets; i++) {
		struct entry *e = map->buckets[i];

		while (e) {
			struct entry *next = e->next;

			if (map->vfree)
				map->vfree(e->value);
			free(e);
			e = next;
		}
	}
	free(map->buckets);
	free(map);
}

static struct entry **find(const struct pbx_strmap *map, const char *key,
			   uint32_t hash)
{
	struct entry **ep = &map->buckets[hash & (map->nbuckets - 1)];

	for (; *ep; ep = &(*ep)->next) {
		if ((*ep)->hash == hash && !strcmp((*ep)->key, key))
			break;
	}
	return ep;
}

void *pbx_strmap_get(const struct pbx_strmap *map, const char *key)
{
	struct entry **ep;

	if (!map || !key)
		return NULL;
	ep = find(map, key, fnv1a(key));
	return *ep ? (*ep)->value : NULL;
}

/* Doubling keeps chains short; on ENOMEM the map just stays denser. */
static void grow(struct pbx_strmap *map)
{
	size_t n = map->nbuckets * 2;
	struct entry **b = calloc(n, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < map->nbuckets; i++) {
		struct entry *e = map->buckets[i];

		while (e) {
			struct entry *next = e->next;

			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
			e = next;
		}
	}
	free(map->buckets);
	map->buckets = b;
	map->nbuckets = n;
}

int pbx_strmap_put(struct pbx_strmap *map, const char *key, void *value,
		   void **oldp)
{
	uint32_t hash;
	struct entry **ep, *e;
	size_t len;

	if (!map || !key)
		return EINVAL;
	hash = fnv1a(key);
	ep = find(map, key, hash);
	if (*ep) {
		if (oldp)
			*oldp = (*ep)->value;
		else if (map->vfree)
			map->vfree((*ep)->value);
		(*ep)->value = value;
		return 0;
	}
	len = strlen(key);
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return ENOMEM;
	memcpy(e->key, key, len + 1);
	e->hash = hash;
	e->value = value;
	e->next = NULL;
	*ep = e;
	if (oldp)
		*oldp = NULL;
	if (++map->count > map->nbuckets)
		grow(map);
	return 0;
}

void *pbx_strmap_del(struct pbx_strmap *map, const char *key)
{
	struct entry **ep, *e;
	void *value;

	if (!map || !key)
		return NULL;
	ep = find(map, key, fnv1a(key));
	e = *ep;
	if (!e)
		return NULL;
	*ep = e->next;
	value = e->value;
	free(e);
	map->count--;
	return value;
}

size_t pbx_strmap_count(const struct pbx_strmap *map)
{
	return map ? map->count : 0;
}

void pbx_strmap_walk(struct pbx_strmap *map, pbx_strmap_walk_h *h,
		     void *arg)
{
	if (!map || !h)
		return;
	for (size_t i = 0; i < map->nbuckets; i++) {
		struct entry *e = map->buckets[i];

		while (e) {
			/* Read next first: <h> may delete <e>. */
			struct entry *next = e->next;

			if (h(e->key, e->value, arg))
				return;
			e = next;
		}
	}
}

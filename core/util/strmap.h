/* util/strmap.h - a string-keyed hash map (chained, power-of-two sized).
 * Not thread-safe: each map belongs to one thread.
 */
#ifndef PBX_UTIL_STRMAP_H
#define PBX_UTIL_STRMAP_H

#include <stddef.h>

struct pbx_strmap;

typedef void (pbx_strmap_free_h)(void *value);
/* Return non-zero to stop the walk. */
typedef int (pbx_strmap_walk_h)(const char *key, void *value, void *arg);

/* <vfree> (may be NULL) releases values when the map is freed. */
int pbx_strmap_alloc(struct pbx_strmap **mapp, pbx_strmap_free_h *vfree);
void pbx_strmap_free(struct pbx_strmap *map);

/* Borrowed value for <key>, or NULL. */
void *pbx_strmap_get(const struct pbx_strmap *map, const char *key);

/* Insert or replace. The key is copied. The replaced value, if any, is
 * returned through <*oldp> (when <oldp> is not NULL) instead of being
 * freed. 0 or ENOMEM.
 */
int pbx_strmap_put(struct pbx_strmap *map, const char *key, void *value,
		   void **oldp);

/* Remove <key> and return its value (not freed), or NULL. */
void *pbx_strmap_del(struct pbx_strmap *map, const char *key);

size_t pbx_strmap_count(const struct pbx_strmap *map);

/* Visit every entry. <h> may delete the entry it is given, no other. */
void pbx_strmap_walk(struct pbx_strmap *map, pbx_strmap_walk_h *h,
		     void *arg);

#endif

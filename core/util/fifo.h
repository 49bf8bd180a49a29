/* util/fifo.h - an intrusive singly linked FIFO: each queued struct
 * embeds a struct pbx_fifo_le, so pushing never allocates. No locking:
 * a queue shared between threads is guarded by its owner's lock,
 * held around every call here.
 */
#ifndef PBX_UTIL_FIFO_H
#define PBX_UTIL_FIFO_H

#include <stdbool.h>
#include <stddef.h>

struct pbx_fifo_le {
	struct pbx_fifo_le *next;
};

/* All zero is an empty queue. */
struct pbx_fifo {
	struct pbx_fifo_le *head, *tail;
};

/* Append <le> to <q>. */
static inline void pbx_fifo_push(struct pbx_fifo *q, struct pbx_fifo_le *le)
{
	le->next = NULL;
	if (q->tail)
		q->tail->next = le;
	else
		q->head = le;
	q->tail = le;
}

/* Unlink and return the oldest element of <q>, or NULL if empty. */
static inline struct pbx_fifo_le *pbx_fifo_pop(struct pbx_fifo *q)
{
	struct pbx_fifo_le *le = q->head;

	if (le) {
		q->head = le->next;
		if (!q->head)
			q->tail = NULL;
	}
	return le;
}

static inline bool pbx_fifo_is_empty(const struct pbx_fifo *q)
{
	return !q->head;
}

/* Move every element of <src> into the empty <dst>; <src> ends empty.
 * Lets a consumer take a whole queue under its lock, then work on it
 * without.
 */
static inline void pbx_fifo_move(struct pbx_fifo *dst, struct pbx_fifo *src)
{
	*dst = *src;
	src->head = src->tail = NULL;
}

/* The struct embedding element <le> at byte <off>; NULL for NULL. */
static inline void *pbx_fifo_container(struct pbx_fifo_le *le, size_t off)
{
	return le ? (char *)le - off : NULL;
}

/* Pop the oldest <type> of <q>, whose element is its field <member>;
 * NULL if empty.
 */
#define PBX_FIFO_POP(q, type, member)					\
	((type *)pbx_fifo_container(pbx_fifo_pop(q), offsetof(type, member)))

#endif

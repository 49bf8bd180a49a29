/* db/pool.c - connections for threads that may block (REST handlers,
 * CLI commands). A borrower waits while all <size> are lent; a broken
 * connection is closed on return and replaced on the next borrow.
 */
#define PBX_LOG_TAG "db"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <pbx/log.h>

#include "db/db.h"

struct pbx_db_pool {
	char *conninfo;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	PGconn **idle;            /* (owned) connections not lent */
	unsigned nidle;
	unsigned lent;
	unsigned size;
};

int pbx_db_pool_alloc(struct pbx_db_pool **poolp, const char *conninfo,
		      unsigned size)
{
	struct pbx_db_pool *pool;

	if (!poolp || !conninfo || !size)
		return EINVAL;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return ENOMEM;
	pool->conninfo = strdup(conninfo);
	pool->idle = calloc(size, sizeof(*pool->idle));
	if (!pool->conninfo || !pool->idle) {
		free(pool->conninfo);
		free(pool->idle);
		free(pool);
		return ENOMEM;
	}
	pool->size = size;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->freed, NULL);
	*poolp = pool;
	return 0;
}

int pbx_db_pool_get(struct pbx_db_pool *pool, PGconn **connp)
{
	PGconn *conn = NULL;
	char err[256];

	if (!pool || !connp)
		return EINVAL;

	pthread_mutex_lock(&pool->lock);
	while (!pool->nidle && pool->lent >= pool->size)
		pthread_cond_wait(&pool->freed, &pool->lock);
	if (pool->nidle)
		conn = pool->idle[--pool->nidle];
	pool->lent++;
	pthread_mutex_unlock(&pool->lock);

	if (conn && PQstatus(conn) == CONNECTION_OK) {
		*connp = conn;
		return 0;
	}
	PQfinish(conn);
	if (pbx_db_connect(&conn, pool->conninfo, err, sizeof(err))) {
		PBX_WARN("cannot connect to PostgreSQL: %s", err);
		pthread_mutex_lock(&pool->lock);
		pool->lent--;
		pthread_cond_signal(&pool->freed);
		pthread_mutex_unlock(&pool->lock);
		return EIO;
	}
	*connp = conn;
	return 0;
}

void pbx_db_pool_put(struct pbx_db_pool *pool, PGconn *conn)
{
	if (!pool)
		return;
	/* A connection left inside a transaction or broken is not reused. */
	if (conn && (PQstatus(conn) != CONNECTION_OK ||
		     PQtransactionStatus(conn) != PQTRANS_IDLE)) {
		PQfinish(conn);
		conn = NULL;
	}
	pthread_mutex_lock(&pool->lock);
	if (conn)
		pool->idle[pool->nidle++] = conn;
	pool->lent--;
	pthread_cond_signal(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
}

void pbx_db_pool_free(struct pbx_db_pool *pool)
{
	if (!pool)
		return;
	for (unsigned i = 0; i < pool->nidle; i++)
		PQfinish(pool->idle[i]);
	pthread_cond_destroy(&pool->freed);
	pthread_mutex_destroy(&pool->lock);
	free(pool->idle);
	free(pool->conninfo);
	free(pool);
}

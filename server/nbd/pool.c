// SPDX-License-Identifier: MIT
/*
 * The data buffers of one server: a pool of NBD_CHUNK-sized chunks allocated and registered
 * with the ring at start, so a request takes buffers without malloc and its device commands use
 * registered buffers (READ_FIXED, WRITE_FIXED, IORING_URING_CMD_FIXED). A request takes all the
 * chunks its payload needs at admission, or none.
 *
 * Each chunk is registered on its own: Linux 6.1 maps a registered buffer from the I/O's start
 * to the end of its registration (see rl_engine_register_buffer()).
 */
#include <errno.h>
#include <stdlib.h>

#include "nbd_internal.h"

int nbd__pool_init(struct nbd_server *s, size_t bytes)
{
	struct nbd_pool *p = &s->pool;

	p->nchunks = (unsigned)(bytes / NBD_CHUNK);
	p->mem = rl_alloc_aligned(4096, (size_t)p->nchunks * NBD_CHUNK);
	p->free = calloc(p->nchunks, sizeof(*p->free));
	p->buf_index = calloc(p->nchunks, sizeof(*p->buf_index));
	if (!p->mem || !p->free || !p->buf_index)
		return -ENOMEM;
	for (unsigned i = 0; i < p->nchunks; i++) {
		p->free[i] = p->nchunks - 1 - i;
		/* Unregistered where the slots run out: the I/O still works, copied by the kernel.
		 */
		p->buf_index[i] =
		    rl_engine_register_buffer(s->e, p->mem + (size_t)i * NBD_CHUNK, NBD_CHUNK);
	}
	p->nfree = p->nchunks;
	return 0;
}

void nbd__pool_fini(struct nbd_server *s)
{
	struct nbd_pool *p = &s->pool;

	for (unsigned i = 0; p->buf_index && i < p->nchunks; i++)
		if (p->buf_index[i] >= 0)
			rl_engine_unregister_buffer(s->e, p->buf_index[i]);
	rl_free_aligned(p->mem);
	free(p->free);
	free(p->buf_index);
	p->mem = NULL;
	p->free = NULL;
	p->buf_index = NULL;
}

bool nbd__pool_get(struct nbd_server *s, struct nbd_req *r, uint32_t len)
{
	struct nbd_pool *p = &s->pool;
	unsigned n = (unsigned)(((uint64_t)len + NBD_CHUNK - 1) / NBD_CHUNK);

	if (n > p->nfree)
		return false;
	for (unsigned i = 0; i < n; i++)
		r->chunks[i] = p->free[--p->nfree];
	r->nchunks = n;
	return true;
}

void nbd__pool_put(struct nbd_server *s, struct nbd_req *r)
{
	struct nbd_pool *p = &s->pool;

	for (unsigned i = 0; i < r->nchunks; i++)
		p->free[p->nfree++] = r->chunks[i];
	r->nchunks = 0;
}

/* The byte at payload position @pos of @r; the chunk holds it up to the next NBD_CHUNK boundary. */
char *nbd__chunk(const struct nbd_server *s, const struct nbd_req *r, uint32_t pos)
{
	return s->pool.mem + (size_t)r->chunks[pos / NBD_CHUNK] * NBD_CHUNK + pos % NBD_CHUNK;
}

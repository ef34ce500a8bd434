// SPDX-License-Identifier: MIT
/*
 * No heap allocation per I/O: count malloc calls (by interposing malloc in this executable) while
 * running 1,000 and then 20,000 I/Os; the counts must be equal. Also with two engines on two
 * threads at once, as `ringline bench --threads 2` runs them.
 */
#include <pthread.h>

#include "helpers.h"

TestSuite(noalloc, .init = skip_unless_io_uring);

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static unsigned long mallocs; /* atomic: threads allocate too */

#ifndef __SANITIZE_ADDRESS__
void *malloc(size_t n)
{
	__atomic_fetch_add(&mallocs, 1, __ATOMIC_RELAXED);
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t s)
{
	__atomic_fetch_add(&mallocs, 1, __ATOMIC_RELAXED);
	return __libc_calloc(n, s);
}

void *realloc(void *p, size_t n)
{
	__atomic_fetch_add(&mallocs, 1, __ATOMIC_RELAXED);
	return __libc_realloc(p, n);
}
#endif

static unsigned long malloc_count(void)
{
	return __atomic_load_n(&mallocs, __ATOMIC_RELAXED);
}

struct loop {
	struct rl_file *f;
	unsigned char *buf;
	unsigned long left;
	int errors;
};

static void again(void *arg, int res, uint64_t result)
{
	struct loop *l = arg;

	(void)result;
	if (res != 4096)
		l->errors++;
	if (l->left && --l->left) {
		int w = l->left & 1;
		uint64_t off = (l->left % 64) * 4096;

		if (w)
			rl_file_write(l->f, l->buf, 4096, off, again, l);
		else
			rl_file_read(l->f, l->buf, 4096, off, again, l);
	}
}

/* malloc calls made while running @n I/Os (reads, writes and fsyncs) at QD4. */
static unsigned long mallocs_for(struct rl_engine *e, struct rl_file *f, unsigned char *bufs,
				 unsigned long n)
{
	struct loop l[4];
	struct done d = {0};
	unsigned long before = malloc_count();

	for (int i = 0; i < 4; i++) {
		l[i] = (struct loop){.f = f, .buf = bufs + i * 4096, .left = n / 4};
		cr_assert_eq(rl_file_read(f, l[i].buf, 4096, 0, again, &l[i]), 0);
	}
	cr_assert_eq(rl_engine_run(e), 0);
	cr_assert_eq(rl_file_fsync(f, 1, done_cb, &d), 0);
	rl_engine_run(e);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(l[i].errors, 0);
	return malloc_count() - before;
}

Test(noalloc, malloc_count_does_not_grow_with_io_count)
{
#ifdef __SANITIZE_ADDRESS__
	cr_skip_test("ASan replaces malloc; the -Werror build runs this test");
#endif
	struct rl_engine *e = engine_new(16);
	char *path = make_file("/var/tmp", 64 * 4096, 1);
	unsigned char *bufs = rl_alloc_aligned(4096, 4 * 4096);
	struct rl_file *f;
	unsigned long small, large;

	cr_assert_eq(rl_file_open(e, path, NULL, &f), 0);
	mallocs_for(e, f, bufs, 100); /* warm-up: lazy one-time allocations */
	small = mallocs_for(e, f, bufs, 1000);
	large = mallocs_for(e, f, bufs, 20000);
	cr_assert_eq(large, small, "malloc calls: %lu for 1000 I/Os, %lu for 20000", small, large);
	cr_assert_eq(large, 0, "%lu malloc calls while doing I/O", large);
	/* The counter works: opening a target allocates. */
	unsigned long before = malloc_count();
	struct rl_file *g;
	cr_assert_eq(rl_file_open(e, path, NULL, &g), 0);
	cr_assert_gt(malloc_count(), before, "the malloc counter does not count");
	rl_engine_destroy(e);
	rl_free_aligned(bufs);
	unlink(path);
	free(path);
}

struct nop_loop {
	struct rl_target *t;
	unsigned long left;
	int errors;
};

static void nop_again(void *arg, int res, uint64_t result)
{
	struct nop_loop *l = arg;

	(void)result;
	if (res != 0)
		l->errors++;
	if (l->left && --l->left)
		rl_target_read(l->t, NULL, 4096, (l->left % 64) * 4096, nop_again, l);
}

/* malloc calls made while running @n NOPs at QD4 through the whole engine. */
static unsigned long nop_mallocs_for(struct rl_engine *e, struct rl_target *t, unsigned long n)
{
	struct nop_loop l[4];
	unsigned long before = malloc_count();

	for (int i = 0; i < 4; i++) {
		l[i] = (struct nop_loop){.t = t, .left = n / 4};
		cr_assert_eq(rl_target_read(t, NULL, 4096, 0, nop_again, &l[i]), 0);
	}
	cr_assert_eq(rl_engine_run(e), 0);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(l[i].errors, 0);
	return malloc_count() - before;
}

Test(noalloc, the_nop_path_allocates_nothing)
{
#ifdef __SANITIZE_ADDRESS__
	cr_skip_test("ASan replaces malloc; the -Werror build runs this test");
#endif
	struct rl_engine *e = engine_new(16);
	struct rl_target *t;
	unsigned long small, large;

	cr_assert_eq(rl_target_open(e, "nop:", 0, &t), 0, "%s", rl_engine_last_error(e));
	nop_mallocs_for(e, t, 100);
	small = nop_mallocs_for(e, t, 1000);
	large = nop_mallocs_for(e, t, 20000);
	cr_assert_eq(large, 0, "%lu malloc calls for 20000 NOPs (%lu for 1000)", large, small);
	rl_engine_destroy(e);
}

/*
 * Two threads, each with its own engine and NOP target, run their I/O between two barriers
 * while the main thread counts: set-up and teardown allocate, the I/O of both must not.
 */
struct nop_thread {
	pthread_barrier_t *b;
	unsigned long n;
	int open_ret;
	int errors;
};

static void *nop_thread_main(void *arg)
{
	struct nop_thread *w = arg;
	struct rl_engine_opts o;
	struct rl_engine *e = NULL;
	struct rl_target *t = NULL;
	struct nop_loop l[4];

	rl_engine_opts_init(&o);
	o.max_inflight = 16;
	w->open_ret = rl_engine_create(&o, &e);
	if (!w->open_ret)
		w->open_ret = rl_target_open(e, "nop:", 0, &t);
	pthread_barrier_wait(w->b); /* set up */
	pthread_barrier_wait(w->b); /* the count before is taken */
	for (int i = 0; !w->open_ret && i < 4; i++) {
		l[i] = (struct nop_loop){.t = t, .left = w->n / 4};
		if (rl_target_read(t, NULL, 4096, 0, nop_again, &l[i]))
			w->errors++;
	}
	if (!w->open_ret && rl_engine_run(e))
		w->errors++;
	for (int i = 0; !w->open_ret && i < 4; i++)
		w->errors += l[i].errors + (l[i].left != 0);
	pthread_barrier_wait(w->b); /* I/O done */
	pthread_barrier_wait(w->b); /* the count after is taken */
	rl_engine_destroy(e);
	return NULL;
}

/* malloc calls while two threads each run @n NOPs on their own engines. */
static unsigned long threads_mallocs_for(unsigned long n)
{
	pthread_barrier_t b;
	struct nop_thread w[2];
	pthread_t th[2];
	unsigned long before, after;

	pthread_barrier_init(&b, NULL, 3);
	for (int i = 0; i < 2; i++) {
		w[i] = (struct nop_thread){.b = &b, .n = n};
		cr_assert_eq(pthread_create(&th[i], NULL, nop_thread_main, &w[i]), 0);
	}
	pthread_barrier_wait(&b);
	before = malloc_count();
	pthread_barrier_wait(&b);
	pthread_barrier_wait(&b);
	after = malloc_count();
	pthread_barrier_wait(&b);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(w[i].open_ret, 0, "thread %d: %s", i, strerror(-w[i].open_ret));
		cr_assert_eq(w[i].errors, 0, "thread %d: %d NOPs failed or did not run", i,
			     w[i].errors);
	}
	pthread_barrier_destroy(&b);
	return after - before;
}

Test(noalloc, two_engines_on_two_threads_allocate_nothing_per_io)
{
#ifdef __SANITIZE_ADDRESS__
	cr_skip_test("ASan replaces malloc; the -Werror build runs this test");
#endif
	unsigned long small = threads_mallocs_for(1000), large = threads_mallocs_for(40000);

	cr_assert_eq(large, 0,
		     "%lu malloc calls for 2 x 40000 NOPs on two threads (%lu for 2 x "
		     "1000)",
		     large, small);
	cr_assert_eq(small, 0, "%lu malloc calls for 2 x 1000 NOPs", small);
}

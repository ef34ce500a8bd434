// SPDX-License-Identifier: MIT
/*
 * The `ringline nbd` daemon: one engine per thread, each with its own ring, its own open of DEV
 * and its own SO_REUSEPORT listener on the same address, so the kernel spreads connections over
 * the threads and nothing is shared between them. The main thread only waits for SIGTERM or
 * SIGINT (blocked in every thread) and then tells each engine through an eventfd that it watches
 * on its ring; each stops gracefully on its own thread.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "control.h"
#include "nbd_internal.h"

struct worker {
	const struct nbd_run_opts *o;
	struct nbd_group *group;
	unsigned index;
	pthread_t th;
	int efd;
	sem_t ready;
	const char *listen;
	char addr[128];
	char http_addr[128];
	struct rl_engine *e;
	struct nbd_server *s;
	struct ctl_http *h;
	int status;
	atomic_bool finished;
};

static void on_stop(void *arg, int res, uint64_t result)
{
	struct worker *w = arg;

	(void)res;
	(void)result;
	if (w->s)
		nbd_server_stop(w->s);
	if (w->h)
		ctl_http_stop(w->h);
	w->h = NULL;
}

/*
 * A writable export claims a block device (or the NVMe namespace's) exclusively unless
 * --force: the first engine does, and the others open it while the first holds the claim.
 */
static unsigned open_flags(const struct nbd_run_opts *o, unsigned index)
{
	if (o->nbd.read_only)
		return RL_TARGET_RDONLY;
	return o->force || index ? 0 : RL_TARGET_EXCL;
}

static int serve(struct worker *w)
{
	const struct nbd_run_opts *o = w->o;
	struct nbd_opts no = o->nbd;
	struct rl_engine_opts eo;
	struct rl_target *t = NULL;
	int ret;

	nbd_engine_opts(&no, &eo);
	ret = rl_engine_create(&eo, &w->e);
	if (ret) {
		fprintf(stderr, "ringline: nbd: cannot create the io_uring engine: %s\n",
			strerror(-ret));
		return 1;
	}
	ret = rl_target_open(w->e, o->dev, open_flags(o, w->index), &t);
	if (ret == -EBUSY && (open_flags(o, w->index) & RL_TARGET_EXCL)) {
		fprintf(stderr,
			"ringline: nbd: %s: in use (a mounted file system, or another program "
			"holds it): exporting it writable could corrupt it; --force exports it "
			"anyway\n",
			o->dev);
		goto out;
	}
	if (ret) {
		fprintf(stderr, "%s\n", rl_engine_last_error(w->e));
		goto out;
	}
	no.listen = w->listen;
	no.shared = &w->group->sh[w->index];
	ret = nbd_server_start(w->e, t, &no, o->threads > 1 ? RL_LISTEN_REUSEPORT : 0, &w->s);
	if (ret)
		goto out;
	snprintf(w->addr, sizeof(w->addr), "%s", nbd_server_address(w->s));
	if (w->index == 0 && o->http) {
		struct ctl_http_opts ho = {.listen = o->http,
					   .metrics = nbd_group_metrics,
					   .metrics_arg = w->group,
					   .status = nbd_group_status,
					   .status_arg = w->group};

		ret = ctl_http_start(w->e, &ho, &w->h);
		if (ret) {
			fprintf(stderr, "%s\n", rl_engine_last_error(w->e));
			goto out;
		}
		snprintf(w->http_addr, sizeof(w->http_addr), "%s", ctl_http_address(w->h));
	}
	ret = rl_engine_watch_fd(w->e, w->efd, on_stop, w, NULL);
	if (ret) {
		fprintf(stderr, "%s\n", rl_engine_last_error(w->e));
		goto out;
	}
	sem_post(&w->ready);
	ret = rl_engine_run(w->e);
	if (ret)
		fprintf(stderr, "ringline: nbd: completion loop failed: %s\n", strerror(-ret));
out:
	if (w->h)
		ctl_http_stop(w->h);
	if (w->s && !nbd_server_done(w->s))
		ret = ret ? ret : -ECANCELED;
	if (w->s)
		nbd_server_stop(w->s);
	rl_engine_run(w->e); /* what the stop left in flight */
	nbd_server_free(w->s);
	w->s = NULL;
	if (t && rl_target_close(t))
		fprintf(stderr, "%s\n", rl_engine_last_error(w->e));
	rl_engine_destroy(w->e);
	return ret ? 1 : 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->status = serve(w);
	atomic_store(&w->finished, true);
	sem_post(&w->ready); /* for a worker that failed before it was ready */
	return NULL;
}

static int start(struct worker *w)
{
	if (pthread_create(&w->th, NULL, worker_main, w))
		return -1;
	sem_wait(&w->ready);
	return atomic_load(&w->finished) ? -1 : 0;
}

int nbd_run(const struct nbd_run_opts *o)
{
	unsigned n = o->threads ? o->threads : 1, started = 0;
	struct worker *ws = calloc(n, sizeof(*ws));
	sigset_t stop, old;
	struct timespec ts = {0, 200000000};
	int status = 0, sig = 0;

	struct nbd_group group = {.n = n, .sh = calloc(n, sizeof(*group.sh))};
	unsigned nshared = 0;

	if (!ws || !group.sh || nbd_shared_init(&group.sum)) {
		free(ws);
		free(group.sh);
		return 1;
	}
	while (nshared < n && !nbd_shared_init(&group.sh[nshared]))
		nshared++;
	if (nshared < n)
		status = 1;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	/* Blocked before any thread starts, so only sigtimedwait() below sees them. */
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	for (unsigned i = 0; i < n && !status; i++) {
		ws[i].o = o;
		ws[i].group = &group;
		ws[i].index = i;
		ws[i].listen = i ? ws[0].addr : o->nbd.listen; /* port 0: every thread the same */
		ws[i].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		sem_init(&ws[i].ready, 0, 0);
		if (ws[i].efd < 0 || start(&ws[i])) {
			status = 1;
			if (ws[i].efd >= 0)
				started++;
			break;
		}
		started++;
	}
	if (!status) {
		fprintf(o->out, "ringline nbd: exporting %s on %s (%u thread%s)\n", o->dev,
			ws[0].addr, n, n > 1 ? "s" : "");
		if (o->http)
			fprintf(o->out, "ringline nbd: metrics on http://%s/metrics\n",
				ws[0].http_addr);
		fflush(o->out);
	}
	while (!status && sig <= 0) {
		sig = sigtimedwait(&stop, NULL, &ts);
		for (unsigned i = 0; i < started; i++)
			if (atomic_load(&ws[i].finished))
				status = 1; /* a thread failed: stop them all */
	}
	for (unsigned i = 0; i < started; i++) {
		uint64_t one = 1;

		if (write(ws[i].efd, &one, sizeof(one)) < 0)
			status = 1;
	}
	for (unsigned i = 0; i < started; i++) {
		pthread_join(ws[i].th, NULL);
		status |= ws[i].status;
		close(ws[i].efd);
		sem_destroy(&ws[i].ready);
	}
	if (!status && sig > 0) {
		fprintf(o->out, "ringline nbd: %s: stopped\n", strsignal(sig));
		fflush(o->out);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (unsigned i = 0; i < nshared; i++)
		nbd_shared_fini(&group.sh[i]);
	nbd_shared_fini(&group.sum);
	free(group.sh);
	free(ws);
	return status;
}

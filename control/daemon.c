// SPDX-License-Identifier: MIT
/*
 * The `ringline serve` daemon: targets opened read-only, a latency probe on each, the HTTP
 * service, and SIGTERM/SIGINT read through a signalfd on the same ring, so a signal is one more
 * completion and shutdown happens in the loop, not in a signal handler.
 */
#include <errno.h>
#include <signal.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "control.h"

struct daemon {
	struct rl_engine *e;
	int sfd;
	int signo;
};

static void on_signal(void *arg, int res, uint64_t result)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	(void)result;
	if (res < 0) /* cancelled: the engine is going away */
		return;
	if (read(d->sfd, &si, sizeof(si)) == sizeof(si))
		d->signo = (int)si.ssi_signo;
	rl_engine_stop(d->e);
}

int ctl_serve(const struct ctl_serve_opts *o, struct ctl_serve_report *rep)
{
	struct ctl_probe **probes = calloc((size_t)o->ndevs + 1, sizeof(*probes));
	struct rl_target **targets = calloc((size_t)o->ndevs + 1, sizeof(*targets));
	struct daemon d = {.sfd = -1};
	struct ctl_http *h = NULL;
	struct signalfd_siginfo si;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
	sigset_t stop, old;
	int ret, status = 1, i;

	memset(rep, 0, sizeof(*rep));
	/*
	 * A reader of stdout that left (a supervisor's pipe) must not kill the daemon when it
	 * prints its address or its shutdown note: the write fails with EPIPE instead, reported on
	 * stderr, and it keeps serving. Sockets never raise it (MSG_NOSIGNAL).
	 */
	sigaction(SIGPIPE, &ign, &old_pipe);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	/* Blocked, the signals wait in the signalfd until the loop reads them. */
	sigprocmask(SIG_BLOCK, &stop, &old);
	d.sfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	if (!probes || !targets || d.sfd < 0) {
		fprintf(stderr, "ringline: serve: %s\n", strerror(d.sfd < 0 ? errno : ENOMEM));
		goto out;
	}
	ret = rl_engine_create(NULL, &d.e);
	if (ret) {
		fprintf(stderr, "ringline: cannot create the io_uring engine: %s\n",
			strerror(-ret));
		goto out;
	}
	for (i = 0; i < o->ndevs; i++) {
		ret = rl_target_open(d.e, o->devs[i], RL_TARGET_RDONLY, &targets[i]);
		if (ret) {
			fprintf(stderr, "%s\n", rl_engine_last_error(d.e));
			goto shutdown;
		}
	}
	ret = ctl_http_start(d.e, &o->http, &h);
	if (ret) {
		fprintf(stderr, "%s\n", rl_engine_last_error(d.e));
		if (ret == -EINVAL) /* not an address: a usage error */
			status = 2;
		goto shutdown;
	}
	for (i = 0; i < o->ndevs; i++) {
		ret = ctl_probe_start(d.e, targets[i], o->rate, &probes[i]);
		if (ret) {
			fprintf(stderr, "ringline: %s: cannot start the probe: %s\n", o->devs[i],
				strerror(-ret));
			goto shutdown;
		}
	}
	ret = rl_engine_watch_fd(d.e, d.sfd, on_signal, &d, NULL);
	if (ret) {
		fprintf(stderr, "%s\n", rl_engine_last_error(d.e));
		goto shutdown;
	}
	fprintf(o->out, "ringline serve: listening on %s\n", ctl_http_address(h));
	if (fflush(o->out) || ferror(o->out)) {
		fprintf(stderr, "ringline serve: listening on %s (stdout: %s)\n",
			ctl_http_address(h), strerror(errno));
		__fpurge(o->out); /* not written again at exit, when SIGPIPE is back */
		clearerr(o->out);
	}
	ret = rl_engine_run(d.e);
	if (ret) {
		fprintf(stderr, "ringline: completion loop failed: %s\n", strerror(-ret));
		goto shutdown;
	}
	status = 0;
	rep->signo = d.signo;

shutdown:
	/* No new reads or requests; what is in flight completes in the loop below. */
	for (i = 0; i < o->ndevs; i++)
		if (probes[i])
			ctl_probe_stop(probes[i]);
	if (h)
		ctl_http_stop(h);
	/* Returns once nothing is pending: probe reads and timers, socket cancels and closes. */
	if (rl_engine_run(d.e))
		status = 1;
	for (i = 0; i < o->ndevs; i++) {
		if (!probes[i])
			continue;
		rep->probe_reads += ctl_probe_reads(probes[i]);
		rep->probe_errors += ctl_probe_errors(probes[i]);
		ctl_probe_free(probes[i]);
	}
	for (i = 0; i < o->ndevs; i++)
		if (targets[i] && rl_target_close(targets[i]))
			fprintf(stderr, "%s\n", rl_engine_last_error(d.e));
	rep->files_in_use = rl_engine_files_in_use(d.e);
	rep->inflight = rl_engine_inflight(d.e);
	if (rep->files_in_use || rep->inflight) {
		fprintf(stderr,
			"ringline: serve: %u fixed-file slots and %u commands left at shutdown\n",
			rep->files_in_use, rep->inflight);
		status = 1;
	}
	rl_engine_destroy(d.e);
	if (!status) {
		fprintf(o->out, "ringline serve: %s: stopped (%llu probe reads, %llu failed)\n",
			strsignal(rep->signo), (unsigned long long)rep->probe_reads,
			(unsigned long long)rep->probe_errors);
		/* Now, while SIGPIPE is ignored: a reader that left is no death at exit. */
		if (fflush(o->out))
			__fpurge(o->out);
	}
out:
	if (d.sfd >= 0) {
		/* A second signal during shutdown is consumed here, not delivered on unblocking. */
		while (read(d.sfd, &si, sizeof(si)) == sizeof(si))
			;
		close(d.sfd);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	free(probes);
	free(targets);
	return status;
}

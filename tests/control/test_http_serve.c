// SPDX-License-Identifier: MIT
/*
 * `ringline serve` shuts down cleanly: SIGTERM (or SIGINT) while the probe runs, in-flight reads
 * complete or are cancelled and reaped, no descriptor and no fixed-file slot is left, exit 0.
 * In process (ctl_serve(), to count /proc/self/fd and the engine's slots) and as the binary.
 */
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "http_helpers.h"

extern char **environ;

struct killer {
	char addr[128];
	int signo;
	pid_t pid;
	long long reads; /* probe reads seen over HTTP before the signal */
};

/* Wait until the daemon answers and its probe has read, then signal it. */
static void *kill_when_probing(void *arg)
{
	struct killer *k = arg;

	for (int i = 0; i < 1000; i++) {
		k->reads = status_reads(k->addr);
		if (k->reads > 20)
			break;
		usleep(10000);
	}
	kill(k->pid, k->signo);
	return NULL;
}

static void sock_path(char *addr, size_t len, const char *tag)
{
	snprintf(addr, len, "unix:/tmp/rl-serve-%s-%d.sock", tag, getpid());
}

TestSuite(http_serve, .init = skip_unless_io_uring);

Test(http_serve, sigterm_in_process_leaves_nothing)
{
	char *img = make_file("/var/tmp", 8 << 20, 's');
	FILE *out = fopen("/dev/null", "w");
	const char *devs[] = {img};
	struct ctl_serve_opts o = {.rate = 2000, .devs = devs, .ndevs = 1, .out = out};
	struct ctl_serve_report rep;
	struct killer k = {.signo = SIGTERM, .pid = getpid()};
	sigset_t set;
	pthread_t th;
	int before, after;

	sock_path(k.addr, sizeof(k.addr), "inproc");
	o.http.listen = k.addr;
	/* The helper thread inherits the blocked mask: the signal waits for the signalfd. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	before = count_fds();
	pthread_create(&th, NULL, kill_when_probing, &k);
	cr_assert_eq(ctl_serve(&o, &rep), 0);
	pthread_join(th, NULL);
	after = count_fds();
	cr_assert_gt(k.reads, 20, "the probe ran (%lld reads seen over HTTP)", k.reads);
	cr_assert_eq(rep.signo, SIGTERM);
	cr_assert_geq(rep.probe_reads, (uint64_t)k.reads);
	cr_assert_eq(rep.inflight, 0, "every probe read was reaped");
	cr_assert_eq(rep.files_in_use, 0, "no fixed-file slot left registered");
	cr_assert_eq(after, before, "descriptors: %d before, %d after", before, after);
	cr_assert_neq(access(k.addr + 5, F_OK), 0, "the socket file is removed");
	fclose(out);
	unlink(img);
	free(img);
}

static void run_binary(int signo)
{
	char *img = make_file("/var/tmp", 8 << 20, 'b');
	struct killer k = {.signo = signo};
	char *argv[] = {RINGLINE_BIN, "serve", "--listen", k.addr, "--rate", "1000", img, NULL};
	posix_spawn_file_actions_t fa;
	pthread_t th;
	int status;

	sock_path(k.addr, sizeof(k.addr), signo == SIGTERM ? "term" : "int");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	cr_assert_eq(posix_spawn(&k.pid, RINGLINE_BIN, &fa, NULL, argv, environ), 0);
	pthread_create(&th, NULL, kill_when_probing, &k);
	pthread_join(th, NULL);
	cr_assert_eq(waitpid(k.pid, &status, 0), k.pid);
	cr_assert_gt(k.reads, 20, "the probe ran");
	cr_assert(WIFEXITED(status), "killed by signal %d", WTERMSIG(status));
	cr_assert_eq(WEXITSTATUS(status), 0);
	cr_assert_neq(access(k.addr + 5, F_OK), 0, "the socket file is removed");
	posix_spawn_file_actions_destroy(&fa);
	unlink(img);
	free(img);
}

Test(http_serve, sigterm_binary_exits_0)
{
	run_binary(SIGTERM);
}

Test(http_serve, sigint_binary_exits_0)
{
	run_binary(SIGINT);
}

Test(http_serve, usage_errors_exit_2)
{
	char cmd[512];
	int st;

	snprintf(cmd, sizeof(cmd), "%s serve /dev/null 2>/dev/null", RINGLINE_BIN);
	st = system(cmd);
	cr_assert_eq(WEXITSTATUS(st), 2, "--listen is required");
	snprintf(cmd, sizeof(cmd), "%s serve --listen :0 --rate 0 x 2>/dev/null", RINGLINE_BIN);
	st = system(cmd);
	cr_assert_eq(WEXITSTATUS(st), 2);
	snprintf(cmd, sizeof(cmd), "%s serve --listen :0 /nonexistent 2>/dev/null", RINGLINE_BIN);
	st = system(cmd);
	cr_assert_eq(WEXITSTATUS(st), 1, "a device that cannot be opened is a runtime error");
}

struct bench_run {
	char addr[128];
	long long reads; /* seen over HTTP while the benchmark ran */
};

static void *scrape_bench(void *arg)
{
	struct bench_run *b = arg;

	for (int i = 0; i < 500 && b->reads <= 0; i++) {
		b->reads = status_reads(b->addr);
		usleep(10000);
	}
	return NULL;
}

Test(http_serve, bench_listen_serves_live_metrics)
{
	char *img = make_file("/var/tmp", 8 << 20, 'l');
	struct bench_run b = {0};
	char *argv[] = {RINGLINE_BIN, "bench", img,	   "--time", "2",
			"--qd",	      "4",     "--listen", b.addr,   NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	pthread_t th;
	int status;

	sock_path(b.addr, sizeof(b.addr), "bench");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	cr_assert_eq(posix_spawn(&pid, RINGLINE_BIN, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	pthread_create(&th, NULL, scrape_bench, &b);
	pthread_join(th, NULL);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_gt(b.reads, 0, "/v1/status counted the benchmark's reads while it ran");
	cr_assert_neq(access(b.addr + 5, F_OK), 0, "the socket file is removed");
	unlink(img);
	free(img);
}

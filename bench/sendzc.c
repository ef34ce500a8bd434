// SPDX-License-Identifier: MIT
/*
 * IORING_OP_SEND against IORING_OP_SEND_ZC for NBD-sized read replies over a TCP connection:
 * the question of issue 16 item 4 ("SEND_ZC where the kernel has it and the payload is large
 * enough to pay off, measured"), asked without the rest of the server. One thread sends N
 * messages of SIZE bytes from a 4 KiB-aligned buffer, QD messages in flight, on its own ring,
 * in three modes: "send" (IORING_OP_SEND), "copy+send" (a memcpy of the message first, as
 * ringline's socket layer copies each reply into its send pool today) and "send_zc";
 * another thread reads them with recv(2). Reported per mode: messages a second and the sending
 * thread's CPU time per message (CLOCK_THREAD_CPUTIME_ID, so the reader's copy does not count;
 * the kernel's work done in the sender's context does).
 *
 * Build and run (ROUNDS rounds, default 7, the modes interleaved in each):
 *   cc -O2 -o /tmp/sendzc bench/sendzc.c -luring -lpthread &&
 *   /tmp/sendzc [SIZE] [COUNT] [QD] [ROUNDS]
 * The last lines are each mode's medians over the rounds, and their ratios to copy+send.
 * Over loopback only: the reader is a thread of this process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static size_t size = 128 << 10;
static unsigned count = 20000, qd = 8;

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "sendzc: %s: %s\n", what, strerror(err));
	exit(1);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void *reader(void *arg)
{
	int fd = *(int *)arg;
	char *buf = malloc(1 << 20);
	ssize_t n;

	while ((n = recv(fd, buf, 1 << 20, 0)) > 0)
		;
	free(buf);
	return NULL;
}

/* Send COUNT messages (@mode 0 send, 1 copy+send, 2 send_zc); the sender's CPU s, *wall. */
static double run(int fd, int mode, double *wall)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	char *buf, *src = malloc(size);
	int zc = mode == 2;
	unsigned sent = 0, done = 0, notifs = 0, inflight = 0;
	double c0, w0;
	int ret;

	if ((ret = io_uring_queue_init(64, &ring, 0)))
		die("io_uring_queue_init", -ret);
	if (posix_memalign((void **)&buf, 4096, size))
		die("posix_memalign", ENOMEM);
	memset(buf, 'x', size);
	memset(src, 'y', size);
	c0 = now(CLOCK_THREAD_CPUTIME_ID);
	w0 = now(CLOCK_MONOTONIC);
	while (done < count || notifs < (zc ? count : 0)) {
		while (sent < count && inflight < qd) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			if (mode == 1)
				memcpy(buf, src, size);
			if (zc)
				io_uring_prep_send_zc(sqe, fd, buf, size, MSG_WAITALL, 0);
			else
				io_uring_prep_send(sqe, fd, buf, size, MSG_WAITALL);
			sent++;
			inflight++;
		}
		if ((ret = io_uring_submit_and_wait(&ring, 1)) < 0)
			die("io_uring_submit_and_wait", -ret);
		while (!io_uring_peek_cqe(&ring, &cqe)) {
			if (cqe->flags & IORING_CQE_F_NOTIF) {
				notifs++; /* the buffer is the sender's again */
			} else {
				if (cqe->res != (int)size)
					die("send", cqe->res < 0 ? -cqe->res : EIO);
				done++;
				if (!zc || !(cqe->flags & IORING_CQE_F_MORE))
					notifs += zc ? 1 : 0;
				inflight--;
			}
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	*wall = now(CLOCK_MONOTONIC) - w0;
	c0 = now(CLOCK_THREAD_CPUTIME_ID) - c0;
	io_uring_queue_exit(&ring);
	free(buf);
	free(src);
	return c0;
}

static int connect_pair(const char *host, int *rfd, pthread_t *th)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	inet_pton(AF_INET, host, &a.sin_addr);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &al) || connect(s, (struct sockaddr *)&a, al))
		die("connect", errno);
	*rfd = accept(l, NULL, NULL);
	close(l);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pthread_create(th, NULL, reader, rfd);
	return s;
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1";
	static const char *const names[3] = {"send", "copy+send", "send_zc"};
	double rate[3][64], cpu_us[3][64];
	int rounds = argc > 4 ? atoi(argv[4]) : 7;

	if (argc > 1)
		size = strtoul(argv[1], NULL, 0);
	if (argc > 2)
		count = (unsigned)strtoul(argv[2], NULL, 0);
	if (argc > 3)
		qd = (unsigned)strtoul(argv[3], NULL, 0);
	printf("%-10s %10s %12s %14s\n", "mode", "size", "msgs/s", "cpu/msg (us)");
	if (rounds < 1 || rounds > 64)
		rounds = 7;
	for (int round = 0; round < rounds; round++) {
		for (int mode = 0; mode < 3; mode++) {
			pthread_t th;
			int rfd, s = connect_pair(host, &rfd, &th);
			double wall, cpu = run(s, mode, &wall);

			shutdown(s, SHUT_WR);
			pthread_join(th, NULL);
			close(s);
			close(rfd);
			rate[mode][round] = count / wall;
			cpu_us[mode][round] = cpu / count * 1e6;
			printf("%-10s %10zu %12.0f %14.2f\n", names[mode], size, rate[mode][round],
			       cpu_us[mode][round]);
		}
	}
	for (int mode = 0; mode < 3; mode++) {
		qsort(rate[mode], (size_t)rounds, sizeof(double), cmp);
		qsort(cpu_us[mode], (size_t)rounds, sizeof(double), cmp);
	}
	for (int mode = 0; mode < 3; mode++)
		printf("median %-10s %10zu %12.0f %14.2f   x copy+send: %.3f rate, %.3f cpu\n",
		       names[mode], size, rate[mode][rounds / 2], cpu_us[mode][rounds / 2],
		       rate[mode][rounds / 2] / rate[1][rounds / 2],
		       cpu_us[mode][rounds / 2] / cpu_us[1][rounds / 2]);
	return 0;
}

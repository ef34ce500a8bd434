// SPDX-License-Identifier: MIT
/*
 * No heap allocation per NBD request: the server (server/nbd/) runs in this process on its own
 * thread and engine, a client on the test's thread speaks NBD to it over loopback, and malloc
 * calls (interposed in this executable, as tests/host/test_noalloc.c does) are counted over
 * 1,000 and then 20,000 requests (writes, reads, a 1 MiB read now and then, flushes, trims,
 * write zeroes, and refused ones); the counts must be equal.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "helpers.h"
#include "server/nbd/nbd.h"
#include "server/nbd/proto.h"

TestSuite(nbd_noalloc, .init = skip_unless_io_uring);

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static volatile unsigned long mallocs;

#ifndef __SANITIZE_ADDRESS__
void *malloc(size_t n)
{
	__atomic_add_fetch(&mallocs, 1, __ATOMIC_RELAXED);
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t s)
{
	__atomic_add_fetch(&mallocs, 1, __ATOMIC_RELAXED);
	return __libc_calloc(n, s);
}

void *realloc(void *p, size_t n)
{
	__atomic_add_fetch(&mallocs, 1, __ATOMIC_RELAXED);
	return __libc_realloc(p, n);
}
#endif

struct server_thread {
	const char *path;
	int efd;
	int ready; /* 1 listening, -1 failed */
	char addr[128];
	struct nbd_stats st;
};

static void on_stop(void *arg, int res, uint64_t result)
{
	(void)res;
	(void)result;
	nbd_server_stop(arg);
}

static void *serve(void *arg)
{
	struct server_thread *th = arg;
	struct nbd_opts o = {.listen = "127.0.0.1:0"};
	struct rl_engine_opts eo;
	struct rl_engine *e;
	struct rl_target *t;
	struct nbd_server *s;

	nbd_engine_opts(&o, &eo);
	if (rl_engine_create(&eo, &e) || rl_target_open(e, th->path, 0, &t) ||
	    nbd_server_start(e, t, &o, 0, &s) || rl_engine_watch_fd(e, th->efd, on_stop, s, NULL)) {
		__atomic_store_n(&th->ready, -1, __ATOMIC_RELEASE);
		return NULL;
	}
	snprintf(th->addr, sizeof(th->addr), "%s", nbd_server_address(s));
	__atomic_store_n(&th->ready, 1, __ATOMIC_RELEASE);
	rl_engine_run(e);
	nbd_server_stats(s, &th->st);
	nbd_server_free(s);
	rl_target_close(t);
	rl_engine_destroy(e);
	return NULL;
}

static void recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n <= 0)
			cr_assert_fail("recv: %s", n ? strerror(errno) : "closed");
		p += n;
		len -= (size_t)n;
	}
}

static void send_all(int fd, const void *buf, size_t len)
{
	cr_assert_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Connect and negotiate with NBD_OPT_EXPORT_NAME (no zeroes). */
static int client(const char *addr)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char g[18], o[16], x[10];
	uint32_t flags = htobe32(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_port = htons((uint16_t)atoi(strchr(addr, ':') + 1));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	recv_all(fd, g, sizeof(g));
	cr_assert_eq(nbd_get64(g), NBD_MAGIC);
	send_all(fd, &flags, 4);
	nbd_put32(nbd_put32(nbd_put64(o, NBD_IHAVEOPT), NBD_OPT_EXPORT_NAME), 0);
	send_all(fd, o, sizeof(o));
	recv_all(fd, x, sizeof(x));
	cr_assert_eq(nbd_get64(x), 16u << 20);
	return fd;
}

#define QD 8
static char payload[1 << 20], rbuf[1 << 20];

/* @n requests, QD at a time; the number of error replies that were not expected. */
static unsigned run(int fd, unsigned n)
{
	unsigned bad = 0;

	for (unsigned done = 0; done < n; done += QD) {
		uint32_t lens[QD];
		uint16_t types[QD];

		for (unsigned i = 0; i < QD; i++) {
			unsigned k = done + i;
			uint16_t type = k % 5 == 4   ? (k % 15 == 4 ? NBD_CMD_FLUSH : NBD_CMD_TRIM)
					: k % 3 == 0 ? NBD_CMD_WRITE
					: k % 7 == 1 ? NBD_CMD_WRITE_ZEROES
						     : NBD_CMD_READ;
			uint32_t len = type == NBD_CMD_FLUSH ? 0 : k % 100 == 2 ? 1u << 20 : 4096;
			uint64_t off = k % 41 == 0 ? 17u << 20 : (uint64_t)(k % 2048) * 4096;
			char h[NBD_REQUEST_SIZE], *p = h;

			p = nbd_put32(p, NBD_REQUEST_MAGIC);
			p = nbd_put16(p,
				      k % 11 == 0 && type == NBD_CMD_WRITE ? NBD_CMD_FLAG_FUA : 0);
			p = nbd_put16(p, type);
			p = nbd_put64(p, i);
			p = nbd_put64(p, off % (16u << 20) + (off >= 16u << 20 ? 16u << 20 : 0));
			nbd_put32(p, len);
			send_all(fd, h, sizeof(h));
			if (type == NBD_CMD_WRITE)
				send_all(fd, payload, len);
			types[i] = type;
			lens[i] = off >= 16u << 20 ? 0 : len; /* past the end: an error, no data */
		}
		for (unsigned i = 0; i < QD; i++) {
			char r[NBD_REPLY_SIZE];
			uint64_t c;
			uint32_t err;

			recv_all(fd, r, sizeof(r));
			err = nbd_get32(r + 4);
			c = nbd_get64(r + 8);
			if (c >= QD || (err != 0) != (lens[c] == 0 && types[c] != NBD_CMD_FLUSH))
				bad++;
			if (!err && types[c] == NBD_CMD_READ)
				recv_all(fd, rbuf, lens[c]);
		}
	}
	return bad;
}

Test(nbd_noalloc, requests_allocate_nothing)
{
	struct server_thread th = {.efd = eventfd(0, EFD_CLOEXEC)};
	char *path = make_file("/var/tmp", 16u << 20, 0);
	unsigned long m0, m1, m2;
	uint64_t one = 1;
	pthread_t tid;
	int fd;

	th.path = path;
	memset(payload, 0x5a, sizeof(payload));
	cr_assert_eq(pthread_create(&tid, NULL, serve, &th), 0);
	while (!__atomic_load_n(&th.ready, __ATOMIC_ACQUIRE))
		usleep(1000);
	cr_assert_eq(th.ready, 1, "the server did not start");
	fd = client(th.addr);
	cr_assert_eq(run(fd, 1000), 0, "warm-up: unexpected replies");
	m0 = mallocs;
	cr_assert_eq(run(fd, 1000), 0);
	m1 = mallocs;
	cr_assert_eq(run(fd, 20000), 0);
	m2 = mallocs;
	close(fd);
	cr_assert_eq(write(th.efd, &one, sizeof(one)), 8);
	pthread_join(tid, NULL);
	close(th.efd);
	unlink(path);
	free(path);
	cr_assert_geq(th.st.ops[NBD_STAT_READ] + th.st.ops[NBD_STAT_WRITE], 10000);
	cr_assert_gt(th.st.errors[NBD_STAT_READ], 0, "out-of-range requests were answered");
#ifndef __SANITIZE_ADDRESS__
	cr_assert_eq(m1 - m0, m2 - m1, "malloc calls: %lu for 1,000 requests, %lu for 20,000",
		     m1 - m0, m2 - m1);
#else
	(void)m0, (void)m1, (void)m2; /* ASan has its own malloc: nothing to count */
#endif
}

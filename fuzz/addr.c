// SPDX-License-Identifier: MIT
/*
 * Fuzz target: rl_listen()'s address forms (engine/net_addr.c, rl__net_parse_addr()): HOST:PORT,
 * [IPV6]:PORT, :PORT, PORT and unix:PATH. The input is the address, up to its first NUL.
 * net_addr.c is compiled with getaddrinfo() renamed to fuzz_getaddrinfo(), which asks glibc for
 * numeric hosts only: a fuzzer must not send DNS queries.
 *
 * What must hold: a parsed address is the one written (the port after the last ':', the host
 * before it, 127.0.0.1 without one, the Unix path after "unix:"), of the family's length; a
 * refused one is -EINVAL with a message; and ASan and UBSan stay quiet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/un.h>

#include "engine/net_internal.h"
#include "fuzz.h"

int fuzz_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		     struct addrinfo **res);

int fuzz_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		     struct addrinfo **res)
{
	struct addrinfo h = *hints;

	h.ai_flags |= AI_NUMERICHOST;
	return getaddrinfo(node, service, &h, res);
}

static struct rl_engine *e;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char addr[512], unix_path[108], host[512], *colon, *port;
	struct sockaddr_storage ss;
	socklen_t len = 0;
	uint8_t want[16];
	unsigned long pnum;
	int ret;

	if (!e)
		e = calloc(1, sizeof(*e));
	if (size >= sizeof(addr))
		return -1;
	memcpy(addr, data, size);
	addr[size] = 0;
	memset(&ss, 0xa5, sizeof(ss));
	e->err[0] = 0;
	ret = rl__net_parse_addr(e, addr, &ss, &len, unix_path, sizeof(unix_path));
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL, "%s: %d", addr, ret);
		FUZZ_CHECK(!strncmp(rl_engine_last_error(e), "ringline: ", 10) &&
			       strlen(rl_engine_last_error(e)) > 10,
			   "%s: refused without a message", addr);
		return 0;
	}
	if (!strncmp(addr, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;

		FUZZ_CHECK(un->sun_family == AF_UNIX && len == sizeof(*un), "%s: not AF_UNIX",
			   addr);
		FUZZ_CHECK(addr[5] && !strcmp(un->sun_path, addr + 5) &&
			       !strcmp(unix_path, addr + 5),
			   "%s: the path is not the one written", addr);
		return 0;
	}
	colon = strrchr(addr, ':');
	port = colon ? colon + 1 : addr;
	FUZZ_CHECK(*port && strspn(port, "0123456789") == strlen(port), "%s: port %s accepted",
		   addr, port);
	pnum = strtoul(port, NULL, 10);
	FUZZ_CHECK(pnum <= 65535, "%s: port %lu accepted", addr, pnum);
	snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - addr) : 0, addr);
	if (!host[0])
		snprintf(host, sizeof(host), "127.0.0.1");
	if (!strcmp(host, "*")) /* glibc's getaddrinfo() takes "*" for every address */
		snprintf(host, sizeof(host), "%s", ss.ss_family == AF_INET ? "0.0.0.0" : "[::]");
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		FUZZ_CHECK(len == sizeof(*in), "%s: length %u", addr, (unsigned)len);
		FUZZ_CHECK(ntohs(in->sin_port) == pnum, "%s: port %u", addr, ntohs(in->sin_port));
		FUZZ_CHECK(inet_pton(AF_INET, host, want) == 1 && !memcmp(want, &in->sin_addr, 4),
			   "%s: an IPv4 address from host '%s'", addr, host);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		size_t hl = strlen(host);

		FUZZ_CHECK(ss.ss_family == AF_INET6 && len == sizeof(*in6), "%s: family %d", addr,
			   ss.ss_family);
		FUZZ_CHECK(ntohs(in6->sin6_port) == pnum, "%s: port %u", addr,
			   ntohs(in6->sin6_port));
		FUZZ_CHECK(hl > 2 && host[0] == '[' && host[hl - 1] == ']',
			   "%s: IPv6 from host '%s' without brackets", addr, host);
		host[hl - 1] = 0;
		if (!strchr(host, '%')) /* a scope id: glibc maps the interface name */
			FUZZ_CHECK(inet_pton(AF_INET6, host + 1, want) == 1 &&
				       !memcmp(want, &in6->sin6_addr, 16),
				   "%s: an IPv6 address from host '%s'", addr, host + 1);
	}
	return 0;
}

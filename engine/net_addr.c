// SPDX-License-Identifier: MIT
/* rl_listen()'s address forms: HOST:PORT, [IPV6]:PORT, :PORT, PORT (loopback) and unix:PATH. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "net_internal.h"

/*
 * Refuse the host forms that bind elsewhere than they seem to: IPv4 as inet_aton() takes it
 * beyond a.b.c.d ("127.1", "0x7f.1", "010.0.0.1", which is 8.0.0.1), an IPv6 address outside
 * brackets ("::1:80" could be port 80 of ::1, or the address ::1:80), and brackets around
 * anything but an IPv6 address. Host names are left to getaddrinfo().
 */
static int check_host(struct rl_engine *e, const char *addr, const char *host, bool bracketed)
{
	char v6[128];
	struct in_addr a;
	struct in6_addr a6;

	if (bracketed) {
		snprintf(v6, sizeof(v6), "%.*s", (int)strcspn(host, "%"), host); /* %scope */
		if (inet_pton(AF_INET6, v6, &a6) != 1)
			return rl__error(e, -EINVAL, "%s: brackets hold an IPv6 address, not %s",
					 addr, host);
	} else if (strpbrk(host, ":[]")) {
		return rl__error(e, -EINVAL, "%s: expected [IPV6]:PORT for an IPv6 address", addr);
	} else if (inet_aton(host, &a) && inet_pton(AF_INET, host, &a) != 1) {
		return rl__error(e, -EINVAL,
				 "%s: expected an IPv4 address as a.b.c.d (decimal, 0 to 255, no "
				 "leading zeros), not %s",
				 addr, host);
	}
	return 0;
}

int rl__net_parse_addr(struct rl_engine *e, const char *addr, struct sockaddr_storage *ss,
		       socklen_t *len, char *unix_path, size_t unix_len)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;
	char host[128];
	const char *port, *colon;
	bool bracketed;
	int ret;

	if (!strncmp(addr, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;

		if (!addr[5] || strlen(addr + 5) >= sizeof(un->sun_path) ||
		    strlen(addr + 5) >= unix_len)
			return rl__error(e, -EINVAL, "%s: a Unix socket path of 1 to %zu bytes",
					 addr, sizeof(un->sun_path) - 1);
		memset(un, 0, sizeof(*un));
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, addr + 5);
		strcpy(unix_path, addr + 5);
		*len = sizeof(*un);
		return 0;
	}
	colon = strrchr(addr, ':');
	port = colon ? colon + 1 : addr;
	bracketed = colon && colon > addr && addr[0] == '[' && colon[-1] == ']';
	if (!colon || colon == addr) {
		snprintf(host, sizeof(host), "127.0.0.1"); /* loopback unless told otherwise */
	} else if (bracketed && (size_t)(colon - addr - 2) < sizeof(host)) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr - 2), addr + 1);
	} else if ((size_t)(colon - addr) < sizeof(host)) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	} else {
		return rl__error(e, -EINVAL, "%s: host name too long", addr);
	}
	/* Five digits at most: atol() of more could overflow. */
	if (!*port || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port) ||
	    atol(port) > 65535)
		return rl__error(e, -EINVAL,
				 "%s: expected HOST:PORT, [IPV6]:PORT, :PORT, PORT or unix:PATH",
				 addr);
	ret = check_host(e, addr, host, bracketed);
	if (ret)
		return ret;
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret)
		return rl__error(e, -EINVAL, "%s: %s", addr, gai_strerror(ret));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void rl__net_format_addr(int fd, const char *unix_path, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";

	if (unix_path[0]) {
		snprintf(buf, len, "unix:%s", unix_path);
		return;
	}
	getsockname(fd, (struct sockaddr *)&ss, &slen);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(a->sin_port));
	}
}

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

int rl__net_parse_addr(struct rl_engine *e, const char *addr, struct sockaddr_storage *ss,
		       socklen_t *len, char *unix_path, size_t unix_len)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;
	char host[128];
	const char *port, *colon;
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
	if (!colon || colon == addr) {
		snprintf(host, sizeof(host), "127.0.0.1"); /* loopback unless told otherwise */
	} else if (addr[0] == '[' && colon[-1] == ']' &&
		   (size_t)(colon - addr - 2) < sizeof(host)) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr - 2), addr + 1);
	} else if ((size_t)(colon - addr) < sizeof(host)) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	} else {
		return rl__error(e, -EINVAL, "%s: host name too long", addr);
	}
	if (!*port || strspn(port, "0123456789") != strlen(port) || atol(port) > 65535)
		return rl__error(e, -EINVAL,
				 "%s: expected HOST:PORT, [IPV6]:PORT, :PORT, PORT or unix:PATH",
				 addr);
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

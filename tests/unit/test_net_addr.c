// SPDX-License-Identifier: MIT
/*
 * rl_listen()'s address forms without a socket (engine/net_addr.c, rl__net_parse_addr()): what
 * each form binds, and the forms refused because they would bind elsewhere than they seem to.
 */
#include <arpa/inet.h>

#include "helpers.h"
#include "engine/net_internal.h"

static struct rl_engine *e;

static void setup(void)
{
	e = calloc(1, sizeof(*e)); /* only its message buffer is used */
}

static void teardown(void)
{
	free(e);
}

TestSuite(net_addr, .init = setup, .fini = teardown);

/* Parse @addr; its IP and port as rl_listener_address() would write them, or the error. */
static int parse(const char *addr, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	char unix_path[108], ip[INET6_ADDRSTRLEN];
	int ret = rl__net_parse_addr(e, addr, &ss, &slen, unix_path, sizeof(unix_path));

	if (ret)
		snprintf(out, len, "%s", rl_engine_last_error(e));
	else if (ss.ss_family == AF_INET)
		snprintf(out, len, "%s:%u",
			 inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip)),
			 ntohs(((struct sockaddr_in *)&ss)->sin_port));
	else if (ss.ss_family == AF_INET6)
		snprintf(
		    out, len, "[%s]:%u",
		    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof(ip)),
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	else
		snprintf(out, len, "unix:%s", unix_path);
	return ret;
}

Test(net_addr, the_documented_forms)
{
	static const char *const forms[][2] = {
	    {"127.0.0.1:9100", "127.0.0.1:9100"},
	    {":9100", "127.0.0.1:9100"},
	    {"9100", "127.0.0.1:9100"},
	    {"0.0.0.0:0", "0.0.0.0:0"},
	    {"[::1]:9100", "[::1]:9100"},
	    {"[::]:65535", "[::]:65535"},
	    {"unix:/run/r.sock", "unix:/run/r.sock"},
	};
	char out[256];

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		cr_assert_eq(parse(forms[i][0], out, sizeof(out)), 0, "%s: %s", forms[i][0], out);
		cr_assert_str_eq(out, forms[i][1]);
	}
}

/*
 * Found by fuzz/addr.c (corpus/addr/regress-ipv4-as-inet-aton-takes-it, "8:8"): getaddrinfo()
 * reads numeric hosts as inet_aton() does, so "8" bound 0.0.0.8, "127.1" 127.0.0.1 and the
 * zero-padded "010.0.0.1" bound 8.0.0.1, another interface than the one written.
 */
Test(net_addr, ipv4_is_a_b_c_d_only)
{
	static const char *const refused[] = {
	    "8:8",	     "127.1:9100",	"0x7f.0.0.1:9100", "010.0.0.1:9100",
	    "1.2.3.04:9100", "[127.0.0.1]:9100"};
	char out[256];

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		cr_assert_eq(parse(refused[i], out, sizeof(out)), -EINVAL, "%s: %s", refused[i],
			     out);
		cr_assert(strstr(out, refused[i]), "the message names the address: %s", out);
	}
	cr_assert_eq(parse("010.0.0.1:9100", out, sizeof(out)), -EINVAL);
	cr_assert(strstr(out, "expected an IPv4 address as a.b.c.d"), "%s", out);
}

/* Found by fuzz/addr.c: "::1:9100" bound port 9100 of ::1, where ::1:9100 is an address too. */
Test(net_addr, ipv6_goes_in_brackets)
{
	char out[256];

	cr_assert_eq(parse("::1:9100", out, sizeof(out)), -EINVAL, "%s", out);
	cr_assert(strstr(out, "expected [IPV6]:PORT"), "%s", out);
	cr_assert_eq(parse("2001:db8::1:80", out, sizeof(out)), -EINVAL, "%s", out);
}

Test(net_addr, ports_are_five_digits_at_most)
{
	char out[256];

	cr_assert_eq(parse("127.0.0.1:65536", out, sizeof(out)), -EINVAL, "%s", out);
	cr_assert_eq(parse("127.0.0.1:99999999999999999999999", out, sizeof(out)), -EINVAL, "%s",
		     out);
	cr_assert_eq(parse("127.0.0.1:09100", out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "127.0.0.1:9100");
}

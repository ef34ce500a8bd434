// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the HTTP control plane from request bytes to response bytes, without a socket.
 * control/ runs as `ringline serve` runs it (ctl_http_start(): transport, parser, rate limit,
 * route table, handlers, renderers, the deferred SMART answer), on fake_engine.c, which plays
 * the ring: up to FAKE_CONNS peers send bytes in chunks, finish or reset, and sends, timers and
 * Get Log Page commands complete when the input says so.
 *
 * Input: two bytes of configuration,
 *   byte 0: bit 0 a bearer token is required; bits 2:1 max_request (default, 64, 512, 2048);
 *           bits 4:3 the send pool (4 MiB, 64 KiB, 24 KiB, 16 KiB); bits 6:5 max_rate
 *           (default, 1, 10, 10^6 a second); bit 7 max_conns 2 (else 8)
 *   byte 1: bit 0 rl_nvme_get_log() refuses (-EBUSY); bits 2:1 a connection's send queue limit
 *           (1 MiB, 4 KiB, 16 KiB, 64 KiB)
 *   then events, each a byte: bits 2:0 what, bits 4:3 which peer, and what follows it:
 *     0 LEN DATA     the peer sends LEN (one byte) bytes, connecting first if it is not
 *     7 LEN2 DATA    the same with LEN2 in two bytes, little-endian
 *     1              the peer finishes sending (shutdown)
 *     2              every queued send completes
 *     3              every timer expires
 *     4 STATUS2      every Get Log Page completes with STATUS (int16 LE; 0 is success)
 *     5              the peer resets the connection
 *     6              ctl_http_stop(), with whatever is in flight
 * Then every peer finishes and everything due completes until nothing is left.
 * FUZZ_HTTP_VERBOSE=1 in the environment prints the conversation (to replay an artifact).
 *
 * What must hold: each connection receives whole responses only, each well formed (status line
 * with a counted code, headers, Content-Length matching the body, valid JSON in UTF-8 or
 * Prometheus text) and about the request sent at the same place in the stream (as the peer's
 * own http-parser reads what it sent: 200 for a GET of a route, with that route's body; 404,
 * 405, 401 only where they apply), nothing after a response that says Connection: close, no
 * connection left open once its peer has finished and everything has completed (a request
 * never answered), no response sent that was not counted; and ASan, UBSan and LeakSanitizer
 * stay quiet.
 */
#include <ctype.h>
#include <http_parser.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "control.h"
#include "fake_engine.h"
#include "fuzz.h"

#define TOKEN "s3cret"

/* A request a peer sent, as the peer's own parser saw it: what its answer must be about. */
struct request {
	unsigned method; /* enum http_method */
	char path[64];	 /* the URL up to '?', "" when that is longer */
};

/*
 * One connection, from its peer's side: the requests it sent, parsed as they go out, and what it
 * received, checked response by response and matched with the requests in order.
 */
struct peer {
	http_parser hp; /* the requests sent */
	bool hp_failed;
	char url[sizeof(((struct request *)0)->path)];
	size_t url_len; /* more than the array holds: too long to match a route */
	struct request reqs[256];
	unsigned nreqs, nresps;
	char *buf; /* received bytes that do not make a whole response yet */
	size_t len, cap;
	bool said_close; /* a response said Connection: close */
};

static struct peer peers[FAKE_CONNS];
static uint64_t seen[CTL_HTTP_NCODES]; /* responses received, by ctl_http_codes[] */
static int verbose = -1;	       /* FUZZ_HTTP_VERBOSE=1: print the conversation */

static bool token_required;

/* ---- the requests a peer sends ------------------------------------------------------------ */

static int on_url(http_parser *hp, const char *at, size_t len)
{
	struct peer *p = hp->data;

	if (p->url_len < sizeof(p->url) - 1)
		memcpy(p->url + p->url_len, at,
		       len < sizeof(p->url) - 1 - p->url_len ? len
							     : sizeof(p->url) - 1 - p->url_len);
	p->url_len += len;
	return 0;
}

static int on_message_complete(http_parser *hp)
{
	struct peer *p = hp->data;
	struct request *r = &p->reqs[p->nreqs];

	if (p->nreqs == sizeof(p->reqs) / sizeof(p->reqs[0]))
		return 0;
	p->nreqs++;
	r->method = hp->method;
	r->path[0] = 0;
	if (strchr(p->url, '?') || p->url_len < sizeof(p->url) - 1)
		snprintf(r->path, sizeof(r->path), "%.*s", (int)strcspn(p->url, "?"), p->url);
	memset(p->url, 0, sizeof(p->url));
	p->url_len = 0;
	return 0;
}

static const http_parser_settings request_settings = {
    .on_url = on_url,
    .on_message_complete = on_message_complete,
};

void fake_received(int k, const char *data, size_t len)
{
	struct peer *p = &peers[k];

	if (p->hp_failed)
		return;
	http_parser_execute(&p->hp, &request_settings, data, len);
	p->hp_failed = HTTP_PARSER_ERRNO(&p->hp) != HPE_OK;
}

static void peer_reset(struct peer *p)
{
	p->len = 0;
	p->said_close = p->hp_failed = false;
	p->nreqs = p->nresps = 0;
	p->url_len = 0;
	memset(p->url, 0, sizeof(p->url));
	http_parser_init(&p->hp, HTTP_REQUEST);
	p->hp.data = p;
}

/*
 * The answer @code (@ctype, @body) is the peer's next response: it must be about the request
 * sent at the same place in the stream. Answers to requests that are not whole or not HTTP
 * (400, 413, 431) end the connection and are not matched.
 */
static void check_order(int k, struct peer *p, int code, const char *ctype, const char *body,
			size_t clen)
{
	const struct request *r;
	const char *path;

	if (code == 400 || code == 413 || code == 431)
		return;
	FUZZ_CHECK(p->nresps < p->nreqs || p->nreqs == sizeof(p->reqs) / sizeof(p->reqs[0]),
		   "peer %d: response %u (%d) to %u whole requests", k, p->nresps + 1, code,
		   p->nreqs);
	if (p->nresps >= p->nreqs)
		return;
	r = &p->reqs[p->nresps++];
	path = r->path;
	if (!path[0])
		return; /* a path longer than any route's */
	if (code == 401) {
		FUZZ_CHECK(token_required, "peer %d: 401 without a token to require", k);
		return;
	}
	if (code == 405) {
		FUZZ_CHECK(r->method != HTTP_GET, "peer %d: 405 to GET %s", k, path);
		return;
	}
	if (code == 404) {
		FUZZ_CHECK(r->method != HTTP_GET ||
			       (strcmp(path, "/metrics") && strcmp(path, "/v1/status") &&
				strcmp(path, "/v1/devices") &&
				strcmp(path, "/v1/devices/ng0n1/health")),
			   "peer %d: 404 to GET %s", k, path);
		return;
	}
	if (code == 502 || code == 503) {
		FUZZ_CHECK(!strcmp(path, "/v1/devices/ng0n1/health"), "peer %d: %d to %s", k, code,
			   path);
		return;
	}
	FUZZ_CHECK(code == 200 && r->method == HTTP_GET, "peer %d: %d to %s %s", k, code,
		   http_method_str((enum http_method)r->method), path);
	if (!strcmp(path, "/metrics"))
		FUZZ_CHECK(!strncmp(ctype, "text/plain", 10), "peer %d: /metrics answered %s", k,
			   ctype);
	else if (!strcmp(path, "/v1/status"))
		FUZZ_CHECK(memmem(body, clen, "\"version\":", 10),
			   "peer %d: /v1/status answered %.*s", k, (int)(clen > 200 ? 200 : clen),
			   body);
	else if (!strcmp(path, "/v1/devices"))
		FUZZ_CHECK(body[0] == '[', "peer %d: /v1/devices answered %.*s", k,
			   (int)(clen > 200 ? 200 : clen), body);
	else if (!strcmp(path, "/v1/devices/ng0n1/health"))
		FUZZ_CHECK(memmem(body, clen, "\"critical_warning\":", 19),
			   "peer %d: the health of ng0n1 answered %.*s", k,
			   (int)(clen > 200 ? 200 : clen), body);
	else
		fuzz_fail("peer %d: 200 to GET %s, which no route has", k, path);
}

/* ---- the responses it receives ------------------------------------------------------------ */

static int code_index(int code)
{
	for (int i = 0; ctl_http_codes[i]; i++)
		if (ctl_http_codes[i] == code)
			return i;
	return -1;
}

static bool valid_json(const char *p, size_t len, int code)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o, *err;
	bool ok;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, p, (int)len);
	ok = o && json_tokener_get_error(tok) == json_tokener_success &&
	     json_tokener_get_parse_end(tok) == len;
	if (ok && code != 200)
		ok = json_object_object_get_ex(o, "error", &err) &&
		     json_object_is_type(err, json_type_string);
	json_object_put(o);
	json_tokener_free(tok);
	return ok;
}

/* One line of the Prometheus text format 0.0.4: a comment, or name{label="value",...} value. */
static bool valid_sample(const char *p, const char *end)
{
	const char *s = p;
	char value[64], *vend;

	if (*p == '#')
		return !memcmp(p, "# HELP ", 7) || !memcmp(p, "# TYPE ", 7);
	while (p < end && (isalnum((unsigned char)*p) || *p == '_' || *p == ':'))
		p++;
	if (p == s || isdigit((unsigned char)*s))
		return false;
	if (p < end && *p == '{') {
		for (p++; p < end && *p != '}';) {
			s = p;
			while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
				p++;
			if (p == s || end - p < 2 || memcmp(p, "=\"", 2))
				return false;
			for (p += 2; p < end && *p != '"'; p++)
				if (*p == '\\' && (++p == end || !strchr("\\\"n", *p)))
					return false;
			if (p == end)
				return false;
			p++;
			if (p < end && *p == ',')
				p++;
		}
		if (p == end)
			return false;
		p++;
	}
	if (p == end || *p++ != ' ' || p == end || end - p > 63)
		return false;
	snprintf(value, sizeof(value), "%.*s", (int)(end - p), p);
	strtod(value, &vend);
	return !*vend && !isspace((unsigned char)value[0]);
}

static bool valid_prometheus(const char *p, size_t len)
{
	const char *end = p + len, *nl;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl || !valid_sample(p, nl))
			return false;
	}
	return true;
}

/* The value of header @name in the header block [@p, @end), or NULL; @n counts its lines. */
static const char *header(const char *p, const char *end, const char *name, int *n, size_t *vlen)
{
	size_t nlen = strlen(name);
	const char *found = NULL;

	*n = 0;
	for (const char *eol; p < end; p = eol + 2) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > nlen + 1 && !strncasecmp(p, name, nlen) && p[nlen] == ':') {
			found = p + nlen + 1;
			while (found < eol && *found == ' ')
				found++;
			*vlen = (size_t)(eol - found);
			(*n)++;
		}
	}
	return found;
}

/* Check the response at the start of @p's buffer. Return: its length, or 0 if it is not whole. */
static size_t check_response(int k, struct peer *p)
{
	const char *b = p->buf, *hend = memmem(b, p->len, "\r\n\r\n", 4), *v, *body;
	char line[64], ctype[64];
	size_t vlen, clen, total;
	int code, n, reason;
	bool head;
	char *end;

	if (!hend) {
		FUZZ_CHECK(p->len < 65536, "peer %d: 64 KiB and no end of the header", k);
		return 0;
	}
	FUZZ_CHECK(!p->said_close, "peer %d: a response after Connection: close", k);
	snprintf(line, sizeof(line), "%.*s", (int)(hend - b < 63 ? hend - b : 63), b);
	reason = 0;
	FUZZ_CHECK(sscanf(line, "HTTP/1.1 %3d %n", &code, &reason) == 1 && reason == 13 &&
		       isalpha((unsigned char)line[13]),
		   "peer %d: a bad status line: %s", k, line);
	FUZZ_CHECK(code_index(code) >= 0, "peer %d: status %d is not counted (stats.c)", k, code);
	v = header(b, hend, "Content-Length", &n, &vlen);
	FUZZ_CHECK(n == 1, "peer %d: %d Content-Length headers in a %d", k, n, code);
	clen = strtoul(v, &end, 10);
	FUZZ_CHECK(end == v + vlen && vlen, "peer %d: Content-Length %.*s", k, (int)vlen, v);
	/* A HEAD is answered with GET's headers, Content-Length too, and no body. */
	head = code != 400 && code != 413 && code != 431 && p->nresps < p->nreqs &&
	       p->reqs[p->nresps].method == HTTP_HEAD;
	total = (size_t)(hend + 4 - b) + (head ? 0 : clen);
	if (p->len < total)
		return 0;
	if (head) {
		v = header(b, hend, "Connection", &n, &vlen);
		p->said_close = v && vlen == 5 && !strncasecmp(v, "close", 5);
		seen[code_index(code)]++;
		p->nresps++;
		return total;
	}
	body = hend + 4;
	v = header(b, hend, "Content-Type", &n, &vlen);
	FUZZ_CHECK(n == 1, "peer %d: %d Content-Type headers in a %d", k, n, code);
	snprintf(ctype, sizeof(ctype), "%.*s", (int)vlen, v);
	if (!strcmp(ctype, "application/json"))
		FUZZ_CHECK(clen && body[clen - 1] == '\n' && valid_json(body, clen - 1, code),
			   "peer %d: %d with a body that is not JSON in UTF-8 (with \"error\" if "
			   "not 200): %.*s",
			   k, code, (int)(clen > 600 ? 600 : clen), body);
	else
		FUZZ_CHECK(!strncmp(ctype, "text/plain; version=0.0.4", 25) && code == 200 &&
			       valid_prometheus(body, clen),
			   "peer %d: %d %s: not the Prometheus text format", k, code, ctype);
	if (code == 401)
		FUZZ_CHECK(header(b, hend, "WWW-Authenticate", &n, &vlen) && n == 1,
			   "peer %d: 401 without WWW-Authenticate", k);
	if (code == 405)
		FUZZ_CHECK(header(b, hend, "Allow", &n, &vlen) && n == 1,
			   "peer %d: 405 without Allow", k);
	v = header(b, hend, "Connection", &n, &vlen);
	p->said_close = v && vlen == 5 && !strncasecmp(v, "close", 5);
	seen[code_index(code)]++;
	check_order(k, p, code, ctype, body, clen);
	return total;
}

void fake_sent(int k, const char *data, size_t len)
{
	struct peer *p = &peers[k];
	size_t n;

	if (p->len + len > p->cap) {
		p->cap = p->len + len > 2 * p->cap ? p->len + len : 2 * p->cap;
		p->buf = realloc(p->buf, p->cap);
		FUZZ_CHECK(p->buf, "out of memory");
	}
	memcpy(p->buf + p->len, data, len);
	p->len += len;
	if (verbose)
		fprintf(stderr, "<<< peer %d receives %zu bytes:\n%.*s\n", k, len, (int)len, data);
	while (p->len && (n = check_response(k, p))) {
		memmove(p->buf, p->buf + n, p->len - n);
		p->len -= n;
	}
}

void fake_closed(int k)
{
	struct peer *p = &peers[k];

	FUZZ_CHECK(!p->len, "peer %d: the connection closed within a response (%zu bytes of it)", k,
		   p->len);
	peer_reset(p);
}

static const unsigned max_requests[] = {0, 64, 512, 2048};
static const size_t pools[] = {4u << 20, 64u << 10, 24u << 10, 16u << 10};
static const unsigned rates[] = {0, 1, 10, 1000000};
static const size_t queue_limits[] = {1u << 20, 4u << 10, 16u << 10, 64u << 10};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_http_opts o = {.listen = "127.0.0.1:0"};
	struct fake_config fc;
	struct ctl_http *h;
	struct ctl_stats st;
	struct rl_engine *e;
	bool stopped = false;
	size_t i = 2, n;
	int ret;

	if (size < 2)
		return -1;
	if (verbose < 0)
		verbose = getenv("FUZZ_HTTP_VERBOSE") && *getenv("FUZZ_HTTP_VERBOSE") == '1';
	o.token = data[0] & 1 ? TOKEN : NULL;
	o.max_request = max_requests[data[0] >> 1 & 3];
	o.max_rate = rates[data[0] >> 5 & 3];
	o.max_conns = data[0] & 0x80 ? 2 : 8; /* not the default 64: a table per input */
	fc = (struct fake_config){.send_pool = pools[data[0] >> 3 & 3],
				  .max_send_queue = queue_limits[data[1] >> 1 & 3],
				  .get_log_busy = data[1] & 1};
	memset(seen, 0, sizeof(seen));
	token_required = o.token != NULL;
	for (int k = 0; k < FAKE_CONNS; k++)
		peer_reset(&peers[k]);
	e = fake_engine_start(&fc);
	ret = ctl_http_start(e, &o, &h);
	FUZZ_CHECK(!ret, "ctl_http_start: %d", ret);

	while (i < size) {
		uint8_t ev = data[i++];
		int k = ev >> 3 & 3;

		switch (ev & 7) {
		case 0:
		case 7:
			n = 0;
			if ((ev & 7) == 0 && i < size) {
				n = data[i++];
			} else if ((ev & 7) == 7 && i + 1 < size) {
				n = data[i] | (size_t)data[i + 1] << 8;
				i += 2;
			}
			n = n < size - i ? n : size - i;
			if (verbose)
				fprintf(stderr, ">>> peer %d sends %zu bytes:\n%.*s\n", k, n,
					(int)n, (const char *)data + i);
			fake_deliver(k, (const char *)data + i, n);
			i += n;
			break;
		case 1:
			fake_eof(k);
			break;
		case 2:
			fake_complete_sends();
			break;
		case 3:
			fake_fire_timers();
			break;
		case 4:
			n = i + 1 < size ? (size_t)(data[i] | data[i + 1] << 8) : 0;
			i += 2;
			fake_complete_logs((int16_t)n);
			break;
		case 5:
			fake_reset(k);
			break;
		case 6:
			if (!stopped)
				ctl_http_stop(h);
			stopped = true;
			break;
		}
		fake_run();
	}

	/* Every peer finishes; everything due completes, until nothing is left. */
	for (unsigned round = 0;; round++) {
		for (int k = 0; k < FAKE_CONNS; k++)
			fake_eof(k);
		fake_run();
		if (!fake_pending())
			break;
		FUZZ_CHECK(round < 100000, "the service never settles");
		fake_complete_logs(0);
		fake_fire_timers();
		fake_complete_sends();
		fake_run();
	}
	if (!stopped) {
		for (int k = 0; k < FAKE_CONNS; k++)
			FUZZ_CHECK(
			    !fake_open(k),
			    "peer %d finished, every send, timer and Get Log Page completed, "
			    "and the connection is still open: a request was never answered",
			    k);
		ctl_http_stats(h, &st);
		for (int c = 0; c < CTL_HTTP_NCODES; c++)
			FUZZ_CHECK(seen[c] <= st.requests[c], "%llu responses %d, %llu counted",
				   (unsigned long long)seen[c], ctl_http_codes[c],
				   (unsigned long long)st.requests[c]);
		ctl_http_stop(h);
	}
	fake_engine_destroy();
	return 0;
}

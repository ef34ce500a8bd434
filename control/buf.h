/* SPDX-License-Identifier: MIT */
/* Private to control/: a growable text buffer for rendering responses. A leaf. */
#ifndef RINGLINE_CONTROL_BUF_H
#define RINGLINE_CONTROL_BUF_H

#include <stdbool.h>
#include <stddef.h>

/* Grows, never shrinks, reused per request. */
struct ctl__buf {
	char *p;
	size_t len;
	size_t cap;
	bool oom; /* an append failed: the content is truncated */
};

void ctl__buf_reset(struct ctl__buf *b);
void ctl__buf_put(struct ctl__buf *b, const char *s, size_t n);
void ctl__buf_printf(struct ctl__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ctl__buf_free(struct ctl__buf *b);
/*
 * The length of the well-formed UTF-8 sequence @s starts with (1 to 4, at most @n), or 0 when
 * the byte at @s starts none (a stray continuation byte, an overlong form, a surrogate, past
 * U+10FFFF, or cut off).
 */
size_t ctl__utf8_len(const unsigned char *s, size_t n);
/*
 * Append @n bytes of @s, each byte that is not part of well-formed UTF-8 written as %XX (as a
 * URL quotes it): device names are bytes, JSON and Prometheus text are UTF-8.
 */
void ctl__buf_put_utf8(struct ctl__buf *b, const char *s, size_t n);

#endif

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

#endif

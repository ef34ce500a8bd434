/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz targets: how a target reports a property the code under test broke. The
 * message goes where libFuzzer and the sanitizers write their reports (also when the runs close
 * the target's stdout and stderr, -close_fd_mask=3), then abort() makes it a crash: libFuzzer
 * keeps the input as an artifact and the run fails.
 */
#ifndef RINGLINE_FUZZ_H
#define RINGLINE_FUZZ_H

#include <sanitizer/common_interface_defs.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noreturn, format(printf, 1, 2))) static inline void fuzz_fail(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	int n = snprintf(msg, sizeof(msg), "fuzz: ");

	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	__sanitizer_report_error_summary(msg);
	abort();
}

/* FUZZ_CHECK(cond, fmt, ...) - fail with the message unless @cond holds. */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__VA_ARGS__);                                                    \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif

/* SPDX-License-Identifier: MIT */
/* Private: the one-line message behind rl_engine_last_error(). */
#ifndef RINGLINE_ENGINE_ERROR_H
#define RINGLINE_ENGINE_ERROR_H

struct rl_engine;

/* Record a one-line message for rl_engine_last_error(); returns @err for tail calls. */
int rl__error(struct rl_engine *e, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), cold));

#endif

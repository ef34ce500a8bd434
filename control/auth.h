/* SPDX-License-Identifier: MIT */
/* Private to control/: bearer-token authentication of HTTP requests. A leaf. */
#ifndef RINGLINE_CONTROL_AUTH_H
#define RINGLINE_CONTROL_AUTH_H

#include <stdbool.h>
#include <stddef.h>

/* The token every request must carry, or none (then every request passes). */
struct ctl__auth {
	char *token;
	size_t len;
};

/* ctl__auth_init() - require "Authorization: Bearer @token" (NULL: nothing). Return: 0, -ENOMEM. */
int ctl__auth_init(struct ctl__auth *a, const char *token);

/*
 * ctl__auth_ok() - @value (@len bytes, NULL when the request has no Authorization header)
 * carries the token. The time taken does not depend on which byte of the token differs.
 */
bool ctl__auth_ok(const struct ctl__auth *a, const char *value, size_t len);

void ctl__auth_free(struct ctl__auth *a);

#endif

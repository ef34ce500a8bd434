// SPDX-License-Identifier: MIT
/*
 * Bearer-token authentication: "Authorization: Bearer TOKEN", the scheme's name in any case,
 * the token compared byte for byte in constant time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"

#define SCHEME "Bearer "
#define SCHEME_LEN (sizeof(SCHEME) - 1)

int ctl__auth_init(struct ctl__auth *a, const char *token)
{
	a->token = NULL;
	a->len = 0;
	if (!token)
		return 0;
	a->token = strdup(token);
	if (!a->token)
		return -ENOMEM;
	a->len = strlen(token);
	return 0;
}

bool ctl__auth_ok(const struct ctl__auth *a, const char *value, size_t len)
{
	unsigned char diff = 0;

	if (!a->token)
		return true;
	/* The token's length is no secret worth the trouble; its bytes are. */
	if (len != SCHEME_LEN + a->len || strncasecmp(value, SCHEME, SCHEME_LEN))
		return false;
	for (size_t i = 0; i < a->len; i++)
		diff |= (unsigned char)(value[SCHEME_LEN + i] ^ a->token[i]);
	return !diff;
}

void ctl__auth_free(struct ctl__auth *a)
{
	free(a->token);
	a->token = NULL;
	a->len = 0;
}

// SPDX-License-Identifier: MIT
/*
 * GET /v1/devices/{name}/health: a Get Log Page (SMART / Health) on the engine's ring, answered
 * on completion. Connections asking for the same device while a read is in flight wait for that
 * read; each gets the answer as its pending reply and is resumed to send it.
 */
#include <errno.h>
#include <libnvme.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "render.h"
#include "route.h"

#define MAX_DEVS 64
#define LOG_SIZE 512

/* One device's read: the log buffer the command writes lives until its completion. */
struct ctl__health_dev {
	struct ctl__health *hs;
	struct rl_target *t;
	void *log;
	bool inflight;
	struct ctl__conn *waiters;
};

struct ctl__health {
	unsigned inflight; /* Get Log Page commands */
	bool stopped;
	unsigned ndevs;
	struct ctl__health_dev devs[MAX_DEVS];
};

int ctl__health_create(struct ctl__health **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void health_free(struct ctl__health *hs)
{
	for (unsigned i = 0; i < hs->ndevs; i++)
		rl_free_aligned(hs->devs[i].log);
	free(hs);
}

void ctl__health_stop(struct ctl__health *hs)
{
	hs->stopped = true;
	if (!hs->inflight)
		health_free(hs);
}

void ctl__health_forget(struct ctl__conn *hc)
{
	if (!hc->waiting)
		return;
	for (struct ctl__conn **pp = &hc->waiting->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == hc) {
			*pp = hc->next;
			break;
		}
	}
	hc->waiting = NULL;
}

static void answer(struct ctl__conn *hc, int res, const void *log)
{
	char why[160], status[96];
	int code = 200;

	if (res) {
		code = res == -ECANCELED ? 503 : 502;
		snprintf(why, sizeof(why), "Get Log Page (SMART) failed: %s",
			 res > 0 ? rl_nvme_status_str(res, status, sizeof(status))
				 : strerror(-res));
		ctl__reply_error_body(hc->h, why);
	} else {
		ctl__reply_json(hc->h, ctl_smart_log_json(log));
	}
	ctl__reply_defer(hc->h, hc, code);
}

static void on_log(void *arg, int res, uint64_t result)
{
	struct ctl__health_dev *d = arg;
	struct ctl__health *hs = d->hs;
	struct ctl__conn *hc;

	(void)result;
	d->inflight = false;
	hs->inflight--;
	while ((hc = d->waiters)) {
		d->waiters = hc->next;
		hc->next = NULL;
		hc->waiting = NULL;
		answer(hc, res, d->log);
		rl_conn_resume(hc->c);
	}
	if (hs->stopped && !hs->inflight)
		health_free(hs); /* the deferred free of ctl__health_stop() */
}

static struct ctl__health_dev *dev_slot(struct ctl__health *hs, struct rl_target *t)
{
	struct ctl__health_dev *d;

	for (unsigned i = 0; i < hs->ndevs; i++)
		if (hs->devs[i].t == t)
			return &hs->devs[i];
	if (hs->ndevs == MAX_DEVS)
		return NULL;
	d = &hs->devs[hs->ndevs];
	d->log = rl_alloc_aligned(64, LOG_SIZE);
	if (!d->log)
		return NULL;
	d->hs = hs;
	d->t = t;
	hs->ndevs++;
	return d;
}

/* The open target whose path ends in /@name. */
static struct rl_target *find_target(struct rl_engine *e, const char *name, size_t len)
{
	for (struct rl_target *t = rl_engine_next_target(e, NULL); t;
	     t = rl_engine_next_target(e, t)) {
		const char *tn = rl_target_name(t), *base = strrchr(tn, '/');

		base = base ? base + 1 : tn;
		if (strlen(base) == len && !memcmp(base, name, len))
			return t;
	}
	return NULL;
}

/*
 * The first 64 bytes of the path segment @name as they may go into an answer: a byte outside
 * printable ASCII as %XX, as in a URL, so the JSON stays UTF-8 whatever the client sent.
 */
static void quote_name(char *out, size_t size, const char *name, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && i < 64 && n + 4 <= size; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c >= 0x20 && c < 0x7f)
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, size - n, "%%%02X", c);
	}
	out[n] = 0;
}

int ctl__get_health(struct ctl_http *h, struct ctl__conn *hc, const char *name, size_t len,
		    bool keep_alive)
{
	struct rl_target *t = find_target(h->e, name, len);
	struct rl_nvme_dev *nvme = t ? rl_target_nvme(t) : NULL;
	struct ctl__health_dev *d;
	char msg[256], quoted[64 * 3 + 1];
	int ret;

	if (!t || !nvme) {
		quote_name(quoted, sizeof(quoted), name, len);
		snprintf(msg, sizeof(msg),
			 t ? "%s is not an NVMe device: it has no SMART log"
			   : "no open device named %s",
			 quoted);
		return ctl__reply_error(h, hc, 404, keep_alive, msg, NULL);
	}
	d = dev_slot(h->health, t);
	if (!d)
		return ctl__reply_error(h, hc, 503, keep_alive, "too many devices", NULL);
	if (!d->inflight) {
		ret = rl_nvme_get_log(nvme, NVME_LOG_LID_SMART, NVME_NSID_ALL, d->log, LOG_SIZE,
				      on_log, d);
		if (ret) {
			snprintf(msg, sizeof(msg), "%s", rl_engine_last_error(h->e));
			return ctl__reply_error(h, hc, ret == -EBUSY ? 503 : 502, keep_alive, msg,
						NULL);
		}
		d->inflight = true;
		h->health->inflight++;
	}
	hc->waiting = d;
	hc->keep_alive = keep_alive;
	hc->next = d->waiters;
	d->waiters = hc;
	return CTL__LATER;
}

/* SPDX-License-Identifier: MIT */
/*
 * Private to control/: the devices' SMART / Health reads behind GET /v1/devices/{name}/health
 * (the handler, ctl__get_health(), is in route.h). One Get Log Page per device at a time on the
 * engine's ring; its completion answers every connection that waits for it.
 */
#ifndef RINGLINE_CONTROL_HEALTH_H
#define RINGLINE_CONTROL_HEALTH_H

#include "http_internal.h"

/* ctl__health_create() - the reads' table for one HTTP service. Return: 0 or -ENOMEM. */
int ctl__health_create(struct ctl__health **out);

/* ctl__health_forget() - @hc closes: it no longer waits for a device (hc->waiting). */
void ctl__health_forget(struct ctl__conn *hc);

/*
 * ctl__health_stop() - free the table at once, or when the last read in flight completes.
 * No connection may wait any more (every one forgotten).
 */
void ctl__health_stop(struct ctl__health *hs);

#endif

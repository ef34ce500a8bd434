/* SPDX-License-Identifier: MIT */
/* ringline: io_uring storage I/O engine (NVMe passthrough, O_DIRECT). Umbrella header. */
#ifndef RINGLINE_H
#define RINGLINE_H

#include "ringline/engine.h"
#include "ringline/hist.h"
#include "ringline/target.h"
#include "ringline/file.h"
#include "ringline/nvme.h"
#include "ringline/pi.h"
#include "ringline/zns.h"
#include "ringline/net.h"
#include "ringline/timer.h"

#endif

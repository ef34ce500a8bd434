/* SPDX-License-Identifier: MIT */
/*
 * Private: every engine header at once, for engine/ files and white-box tests. Backends include
 * backend.h instead. Not installed.
 */
#ifndef RINGLINE_INTERNAL_H
#define RINGLINE_INTERNAL_H

#include "ud.h"
#include "slab.h"
#include "fixed_files.h"
#include "core.h"
#include "error.h"
#include "regbuf.h"
#include "backend.h"
#include "submit.h"

#endif

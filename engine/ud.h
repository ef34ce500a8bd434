/* SPDX-License-Identifier: MIT */
/* Private: user_data = tag | generation | slot, the key every CQE is dispatched by. */
#ifndef RINGLINE_ENGINE_UD_H
#define RINGLINE_ENGINE_UD_H

#include <stdint.h>

/*
 * user_data = tag (8 bits) | generation (24 bits) | slot (32 bits). The generation of a slot
 * changes each time it is freed, so a CQE for a slot that has since been reused is recognised.
 */
#define RL__TAG_SHIFT 56
#define RL__GEN_SHIFT 32
#define RL__GEN_MASK 0xffffffu

enum rl__tag {
	RL__TAG_NONE = 0,   /* never produced: a zero user_data is always stale */
	RL__TAG_CMD = 1,    /* a command slab slot */
	RL__TAG_IGNORE = 2, /* internal requests (cancel) whose CQE carries nothing */
	/* Sockets (engine/net*.c): the slot is a listener or a connection. */
	RL__TAG_NET_ACCEPT = 3,
	RL__TAG_NET_RECV = 4,
	RL__TAG_NET_SEND = 5,
	RL__TAG_NET_SHUTDOWN = 6,
	RL__TAG_NET_CLOSE = 7,
	RL__TAG_NET_SWEEP = 8,	 /* the idle-timeout sweep timer */
	RL__TAG_TIMER = 9,	 /* rl_timer_start(), rl_engine_watch_fd() (engine/timer.c) */
	RL__TAG_NET_RESUME = 10, /* a NOP that brings rl_conn_resume() back to the loop */
};

static inline uint64_t rl__ud_encode(unsigned tag, uint32_t slot, uint32_t gen)
{
	return (uint64_t)tag << RL__TAG_SHIFT | (uint64_t)(gen & RL__GEN_MASK) << RL__GEN_SHIFT |
	       slot;
}

static inline unsigned rl__ud_tag(uint64_t ud)
{
	return ud >> RL__TAG_SHIFT;
}

static inline uint32_t rl__ud_gen(uint64_t ud)
{
	return (ud >> RL__GEN_SHIFT) & RL__GEN_MASK;
}

static inline uint32_t rl__ud_slot(uint64_t ud)
{
	return (uint32_t)ud;
}

#endif

/* The spike scheduler: a priority queue of messages keyed by (tick, sequence number).
 *
 * Messages due within the next `horizon` ticks go into a ring of per-tick buckets (a calendar
 * queue with one-tick buckets): push and take are O(1) amortised, and messages pushed for the
 * same tick come out in push order, which is sequence order. Messages further ahead wait in a
 * binary heap ordered by (tick, seq), O(log n), and move into their bucket when it enters the
 * horizon, before anything can be pushed there directly; so the whole queue pops in exact
 * (tick, seq) order whatever the delays. The engines size the horizon to the largest delay they
 * use, so in practice the heap only holds far-off self-scheduled events.
 */
#ifndef MYELIN_SCHED_H
#define MYELIN_SCHED_H

#include <stddef.h>
#include <stdint.h>

/* What a message says is up to whoever pushes it; the engines put a synapse row in `a` and a
 * spike count in `b`. */
typedef struct myl_msg {
    uint32_t a;
    uint32_t b;
} myl_msg;

typedef struct myl_sched myl_sched;

/* A scheduler whose clock starts at `now`; horizon >= 1 is rounded up to a power of two. */
int myl_sched_new(uint64_t now, uint32_t horizon, myl_sched **out);
void myl_sched_free(myl_sched *s);

/* Queue m for `tick`. tick must be >= myl_sched_now(s) (MYL_EINVAL otherwise). MYL_ENOMEM on
 * allocation failure, in which case the queue is unchanged. */
int myl_sched_push(myl_sched *s, uint64_t tick, myl_msg m);

/* Queue n messages for the same tick, in order: the same as n pushes, in one copy. */
int myl_sched_push_many(myl_sched *s, uint64_t tick, const myl_msg *m, size_t n);

/* Hand out every message due at the current tick, in sequence order, and advance the clock by
 * one. *msgs stays valid until the next call to myl_sched_take or myl_sched_free; pushes made
 * meanwhile (for later ticks) do not disturb it. MYL_ENOMEM if room could not be made for far
 * messages entering the horizon; then nothing has changed and the take can be retried. */
int myl_sched_take(myl_sched *s, const myl_msg **msgs, size_t *n);

uint64_t myl_sched_now(const myl_sched *s);
/* Messages queued (not yet taken). */
size_t myl_sched_size(const myl_sched *s);
/* Earliest tick with a queued message, or UINT64_MAX when empty. O(horizon) worst case. */
uint64_t myl_sched_next_tick(const myl_sched *s);
/* Bytes held. */
size_t myl_sched_memory(const myl_sched *s);

#endif

/* Replaying an event stream into a network.
 *
 * A binding ties a stream (a file, or a live stream) to an `events` population:
 *   neuron = (p' * H' + y') * W' + x'
 * where x' = (x - crop_x0) / downsample, y' = (y - crop_y0) / downsample over the cropped,
 * downsampled sensor of W' x H' pixels, and p' = p with two polarity planes (OFF first, as
 * tonic's frames order them) or 0 when polarities are merged; channel streams (SHD, a CSV of
 * t,unit) have H = 1 and one plane, so neuron = channel. Events outside the crop are dropped
 * (and counted). Timestamps map to ticks by floor((t - t0) / dt), with t0 the first event's
 * time or a given origin; an event at a tick already simulated is an error, since replay
 * never reorders a stream. Several events for one neuron in one tick are that many spikes.
 */
#ifndef MYELIN_REPLAY_H
#define MYELIN_REPLAY_H

#include "myelin/net.h"
#include "myelin/sim.h"
#include "myelin/trace.h"

typedef struct myl_binding {
    char *population;
    char *source;             /* file path (relative to the network file) or stream address */
    myl_trace_opts opts;      /* format, sample */
    uint32_t width, height;   /* sensor size; 0 = what the stream declares */
    int merge_polarity;       /* one plane instead of two */
    uint32_t downsample;      /* >= 1 */
    uint32_t crop_x0, crop_x1, crop_y0, crop_y1; /* x1/y1 = 0: the whole sensor */
    int origin_first;         /* t0 = the first event's time */
    int64_t origin_us;        /* t0 otherwise */
    char *where;              /* "net.yaml:12:5", for messages */
} myl_binding;

void myl_binding_release(myl_binding *b);

/* Neurons a binding needs once the sensor size is known: W' x H' x planes. */
uint64_t myl_binding_neurons(const myl_binding *b, uint32_t width, uint32_t height,
                             uint32_t channels);

typedef struct myl_replay myl_replay;

/* Replay reader r (which must outlive the replay) into the events population of the binding.
 * Checks that the population exists, is an `events` population, and has exactly the neurons the
 * binding maps to (MYL_EINVAL with both numbers otherwise). */
int myl_replay_new(const myl_binding *b, myl_reader *r, const myl_net *net, myl_replay **out,
                   myl_diag *d);
void myl_replay_free(myl_replay *rp);

/* Inject the events of tick t into sim, reading ahead as needed. *ended is set once the
 * stream has no more events. MYL_EPARSE if an event belongs to an earlier tick. */
int myl_replay_tick(myl_replay *rp, myl_sim *sim, uint64_t t, int *ended, myl_diag *d);

/* The tick of the next pending event (UINT64_MAX when none is buffered); used by live input
 * to tell how far the stream has got. */
uint64_t myl_replay_next_tick(const myl_replay *rp);

typedef struct myl_replay_stats {
    uint64_t events;   /* read from the stream */
    uint64_t injected; /* turned into spikes */
    uint64_t dropped;  /* outside the crop or the sensor */
    int64_t t0;        /* the origin used, µs */
    int64_t t_last;    /* last event time, µs */
} myl_replay_stats;

void myl_replay_get_stats(const myl_replay *rp, myl_replay_stats *s);

#endif

/* N-MNIST / N-Caltech101 .bin (Orchard et al. 2015): reader.
 *
 * Five bytes an event and no header: byte 0 x, byte 1 y, byte 2 polarity (bit 7, 1 = ON) and
 * time bits 22-16, bytes 3-4 time bits 15-0 (big-endian), time in µs from the start of the
 * recording. An event with y = 240 (one row past the ATIS sensor's 240) is not an event but a
 * time-overflow marker: the dataset authors' readers add 2^13 µs to every later timestamp and
 * drop the marker, and so does this one.
 *
 * Without a header nothing says the bytes are this format, so detection is cautious (see
 * nm_probe) and users name the format when it cannot be sure. Nothing says the sensor size
 * either: N-MNIST is 34 x 34, N-Caltech101 varies per sample up to about 240 x 180, and finding
 * the largest coordinate would mean reading the whole stream before the first event. The reader
 * reports width and height 0 (unknown); the user or the network's input layer gives the size.
 *
 * Decoding runs over all the whole records the read window holds in one loop; the window is
 * refilled only between such runs, and a stream whose length is not a multiple of 5 is reported
 * with the offset of the partial record.
 */
#include "trace_internal.h"

#include <string.h>

#define REC 5
#define OVERFLOW_Y 240          /* y of a time-overflow marker */
#define OVERFLOW_STEP (1 << 13) /* µs added by each marker */

/* Probe limits (see nm_probe). */
#define PROBE_MIN_EVENTS 8
#define PROBE_FIRST_T_MAX 1000000 /* first event within 1 s of the recording's start */
#define PROBE_WINDOW 4096         /* trace.c's detection window */

typedef unsigned long long ull;

typedef struct nm_state {
    int64_t toff; /* added by overflow markers so far [µs] */
} nm_state;

/* 1 ("maybe") when the head decodes as a plausible recording: at least PROBE_MIN_EVENTS whole
 * records, the first event within a second of the start, timestamps never going backwards over
 * every record in the head, time advancing over the head, y at most 240 (240 = marker). Text
 * fails at once (a printable byte 2 puts the first event past 2 s); random bytes fail the order
 * test with odds of about 1/n! over n records. A head shorter than the detection window is the
 * whole stream, so its length must be a multiple of 5. Never 2: the bytes cannot be certain. */
static int nm_probe(const uint8_t *h, size_t n)
{
    size_t nrec = n / REC;
    if (nrec < PROBE_MIN_EVENTS)
        return 0;
    if (n < PROBE_WINDOW && n % REC != 0)
        return 0;
    int64_t toff = 0, prev = -1, first = -1;
    for (size_t i = 0; i < nrec; i++) {
        const uint8_t *r = h + REC * i;
        if (r[1] > OVERFLOW_Y)
            return 0;
        if (r[1] == OVERFLOW_Y) {
            toff += OVERFLOW_STEP;
            continue;
        }
        int64_t t = toff + (((int64_t)r[2] & 0x7f) << 16 | (int64_t)r[3] << 8 | r[4]);
        if (first < 0) {
            if (t > PROBE_FIRST_T_MAX)
                return 0;
            first = t;
        }
        if (t < prev)
            return 0;
        prev = t;
    }
    return prev > first ? 1 : 0;
}

static int nm_open(void *st, myl_in *in, const myl_trace_opts *o, myl_trace_meta *meta, myl_diag *d)
{
    (void)st, (void)in, (void)o, (void)d;
    meta->width = meta->height = 0; /* not in the file: see the top of this file */
    return 0;
}

/* Decode m records at p into ev; returns the events written (markers are dropped). */
static size_t decode(const uint8_t *restrict p, size_t m, myl_event *restrict ev, int64_t *toff)
{
    int64_t off = *toff;
    size_t k = 0;
    for (size_t i = 0; i < m; i++, p += REC) {
        uint32_t y = p[1];
        if (__builtin_expect(y == OVERFLOW_Y, 0)) {
            off += OVERFLOW_STEP;
            continue;
        }
        uint32_t t = (uint32_t)(p[2] & 0x7f) << 16 | (uint32_t)p[3] << 8 | p[4];
        ev[k++] = (myl_event){.t = off + t, .x = p[0], .y = (uint16_t)y, .p = p[2] >> 7};
    }
    *toff = off;
    return k;
}

static int nm_read(void *stv, myl_in *in, myl_event *ev, size_t cap, size_t *n, myl_diag *d)
{
    nm_state *s = stv;
    size_t k = 0;
    while (k < cap) {
        size_t avail = (size_t)(in->end - in->p);
        if (avail < REC) {
            if (k > 0)
                break; /* hand over what is decoded rather than wait for more */
            int rc = myl_in_need(in, REC, d);
            if (rc)
                return rc;
            avail = (size_t)(in->end - in->p);
            if (avail == 0)
                break;
            if (avail < REC)
                return myl_diag_fail(d, MYL_EPARSE,
                                     "%s: byte %llu: truncated: the stream ends %zu bytes into "
                                     "a 5-byte event (its length is not a multiple of 5)",
                                     in->src->name, (ull)myl_in_offset(in), avail);
        }
        size_t m = avail / REC;
        if (m > cap - k)
            m = cap - k;
        k += decode(in->p, m, ev + k, &s->toff);
        in->p += m * REC;
    }
    *n = k;
    return 0;
}

const myl_reader_ops myl__nmnist_ops = {
    .format = MYL_TRACE_NMNIST,
    .name = "nmnist",
    .state_size = sizeof(nm_state),
    .probe = nm_probe,
    .open = nm_open,
    .read = nm_read,
    .close = NULL,
};

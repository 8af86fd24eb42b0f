/* Random numbers.
 *
 * Two shapes of the same generator, Philox4x32-10 (Salmon et al., "Parallel random numbers: as
 * easy as 1, 2, 3", SC 2011), a counter-based generator: the output is a pure function of a
 * 64-bit key (the run's seed) and a 128-bit counter.
 *
 * - Keyed draws, myl_rng_draw(): the counter names what the number is for, e.g. (population,
 *   neuron, tick, purpose). Whoever asks, in whatever order, gets the same number. The event and
 *   dense engines draw Poisson input and initial state this way, which is what makes them agree.
 * - Streams, myl_rng_stream: for sequential work such as building the connections of one
 *   projection. A stream is named by (seed, purpose, id); its 256-bit state is one keyed Philox
 *   draw pair for that name, and it then advances with xoshiro256** (Blackman and Vigna 2018),
 *   which is several times cheaper per number than a Philox block.
 */
#ifndef MYELIN_RNG_H
#define MYELIN_RNG_H

#include <stdint.h>

/* Purposes: the top byte of counter word 3, so that draws for different jobs never collide. */
enum {
    MYL_RNG_CONN = 1,    /* connection rules, weights, delays of a projection */
    MYL_RNG_INIT = 2,    /* initial state of a population */
    MYL_RNG_POISSON = 3, /* Poisson spike sources */
    MYL_RNG_INPUT = 4,   /* Poisson input of neuron populations */
    MYL_RNG_CHIP = 5,    /* chip neurons' own randomness (TrueNorth) */
    MYL_RNG_TEST = 0xfe,
};

/* One Philox4x32-10 block: out = philox(key, ctr). */
void myl_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Keyed draw of four 32-bit words for counter (a, b, c) in stream (purpose, id < 2^24). */
void myl_rng_draw(uint64_t seed, uint32_t purpose, uint32_t id, uint32_t a, uint64_t b,
                  uint32_t out[4]);

/* Uniform in [0, 1) with 53 random bits from two 32-bit words. */
static inline double myl_u01(uint32_t hi, uint32_t lo)
{
    return (double)((((uint64_t)hi << 32) | lo) >> 11) * 0x1.0p-53;
}

/* Uniform in (0, 1]: for logarithms. */
static inline double myl_u01_open0(uint32_t hi, uint32_t lo)
{
    return (double)(((((uint64_t)hi << 32) | lo) >> 11) + 1) * 0x1.0p-53;
}

typedef struct myl_rng_stream {
    uint64_t s[4];     /* xoshiro256** state */
    uint32_t half;     /* the unused low half of the last 64-bit output */
    int have_half;
    int have_normal;   /* Box-Muller makes two at a time */
    double next_normal;
} myl_rng_stream;

/* Stream `sub` of (seed, purpose, id): different sub-streams are independent. */
void myl_rng_stream_init(myl_rng_stream *s, uint64_t seed, uint32_t purpose, uint32_t id,
                         uint32_t sub);
double myl_rng_normal(myl_rng_stream *s); /* standard normal */
uint64_t myl__rng_below_slow(myl_rng_stream *s, uint64_t n);

/* The generator itself is inline: building a network draws a number or two per synapse. */
static inline uint64_t myl_rng_u64(myl_rng_stream *s)
{
    uint64_t *st = s->s;
    uint64_t x = st[1] * 5;
    uint64_t r = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = st[1] << 17;
    st[2] ^= st[0];
    st[3] ^= st[1];
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = (st[3] << 45) | (st[3] >> 19);
    return r;
}

static inline uint32_t myl_rng_u32(myl_rng_stream *s)
{
    if (s->have_half) {
        s->have_half = 0;
        return s->half;
    }
    uint64_t x = myl_rng_u64(s);
    s->half = (uint32_t)x;
    s->have_half = 1;
    return (uint32_t)(x >> 32);
}

/* [0, 1) with 53 random bits */
static inline double myl_rng_uniform(myl_rng_stream *s)
{
    return (double)(myl_rng_u64(s) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n >= 1, without modulo bias (Lemire, "Fast random integer
 * generation in an interval", TOMACS 2019). */
static inline uint64_t myl_rng_below(myl_rng_stream *s, uint64_t n)
{
    if (n <= 1)
        return 0;
    if (n > UINT32_MAX)
        return myl__rng_below_slow(s, n);
    uint64_t m = (uint64_t)myl_rng_u32(s) * n;
    if ((uint32_t)m < n) {
        uint32_t t = (uint32_t)(-(uint32_t)n % (uint32_t)n);
        while ((uint32_t)m < t)
            m = (uint64_t)myl_rng_u32(s) * n;
    }
    return m >> 32;
}

#endif

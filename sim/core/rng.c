/* Philox4x32-10 and the two ways myelin uses it (see rng.h). The round function and constants
 * are those published by Salmon et al. (SC 2011); the known-answer test in tests/test-rng.c pins
 * them against the vectors published with the Random123 distribution. xoshiro256** is as
 * published by Blackman and Vigna (prng.di.unimi.it). */
#include "myelin/rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void myl_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;
        c0 = n0, c1 = n1, c2 = n2, c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

void myl_rng_draw(uint64_t seed, uint32_t purpose, uint32_t id, uint32_t a, uint64_t b,
                  uint32_t out[4])
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    const uint32_t ctr[4] = {a, (uint32_t)b, (uint32_t)(b >> 32),
                             (purpose << 24) | (id & 0xFFFFFFu)};
    myl_philox4x32(ctr, key, out);
}

void myl_rng_stream_init(myl_rng_stream *s, uint64_t seed, uint32_t purpose, uint32_t id,
                         uint32_t sub)
{
    uint32_t w[8];
    myl_rng_draw(seed, purpose, id, sub, 0x5EED0000ull, w);
    myl_rng_draw(seed, purpose, id, sub, 0x5EED0001ull, w + 4);
    for (int i = 0; i < 4; i++)
        s->s[i] = (uint64_t)w[2 * i] << 32 | w[2 * i + 1];
    if (!(s->s[0] | s->s[1] | s->s[2] | s->s[3]))
        s->s[0] = 1; /* the one state xoshiro cannot leave */
    s->have_half = 0;
    s->have_normal = 0;
    s->next_normal = 0;
}

uint64_t myl__rng_below_slow(myl_rng_stream *s, uint64_t n)
{
    /* rejection on the smallest covering power of two */
    uint64_t mask = n - 1;
    mask |= mask >> 1, mask |= mask >> 2, mask |= mask >> 4;
    mask |= mask >> 8, mask |= mask >> 16, mask |= mask >> 32;
    uint64_t x;
    do
        x = myl_rng_u64(s) & mask;
    while (x >= n);
    return x;
}

double myl_rng_normal(myl_rng_stream *s)
{
    if (s->have_normal) {
        s->have_normal = 0;
        return s->next_normal;
    }
    /* Box-Muller: exact in distribution, no rejection loop, so the number of words used per
     * draw is fixed and streams stay easy to reason about. */
    double u1 = 1.0 - myl_rng_uniform(s); /* (0, 1] */
    double u2 = myl_rng_uniform(s);
    double r = sqrt(-2.0 * log(u1));
    double a = 6.283185307179586 * u2;
    s->next_normal = r * sin(a);
    s->have_normal = 1;
    return r * cos(a);
}

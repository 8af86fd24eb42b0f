/* Writes myelin's demo: traces/bar.myl, a synthetic DVS recording of a vertical bar crossing a
 * 32 x 32 sensor left to right and back, and traces/demo.yaml, a network that tells the two
 * directions apart with synaptic delays.
 *
 * The bar is 2 pixels wide and moves one column every 10 ms. Each pixel it enters emits ON
 * events, each pixel it leaves OFF events, with a little jitter in time (a fixed seed: the
 * file is the same on every run). The network:
 *   retina  2 x 1,024 events neurons (OFF plane, then ON plane)
 *   column  32 LIF neurons, column x summing the ON events of its 32 pixels: it fires when
 *           the bar's leading edge enters that column (the trailing edge, OFF, would fire it
 *           again 20 ms later and fool the detectors)
 *   right   31 LIF neurons; right[x] hears column x through a delay of 10 ms and column x+1
 *           through 1 ms. A bar moving right reaches x+1 10 ms after x, so both inputs arrive
 *           together and right[x] fires; moving left they arrive 20 ms apart and it does not.
 *   left    the mirror image.
 * So `right` fires during the first sweep and `left` during the second: the direction lives
 * entirely in the delays. */
#include "myelin/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 32
#define H 32
#define STEP_US 10000 /* one column per 10 ms */

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t rnd(void)
{
    /* xorshift64*: deterministic jitter; quality does not matter here */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static int cmp_ev(const void *a, const void *b)
{
    const myl_event *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* events of one column edge: every pixel of column x, polarity p, around time t */
static size_t edge(myl_event *ev, size_t n, int x, int p, int64_t t)
{
    if (x < 0 || x >= W)
        return n;
    for (int y = 0; y < H; y++)
        ev[n++] = (myl_event){.t = t + (int64_t)(rnd() % 2000), .x = (uint16_t)x,
                              .y = (uint16_t)y, .p = (uint8_t)p};
    return n;
}

static int write_trace(const char *path)
{
    static myl_event ev[4 * W * H * 2 + 64];
    size_t n = 0;
    int64_t t = 5000;
    /* rightwards: at step k the bar covers columns k-1, k */
    for (int k = 0; k <= W; k++, t += STEP_US) {
        n = edge(ev, n, k, 1, t);     /* leading edge enters column k */
        n = edge(ev, n, k - 2, 0, t); /* trailing edge leaves column k-2 */
    }
    t += 50000; /* a pause, then leftwards */
    for (int k = W - 1; k >= -1; k--, t += STEP_US) {
        n = edge(ev, n, k, 1, t);
        n = edge(ev, n, k + 2, 0, t);
    }
    qsort(ev, n, sizeof *ev, cmp_ev);
    myl_trace_meta meta = {.format = MYL_TRACE_NATIVE, .width = W, .height = H, .label = -1};
    snprintf(meta.source, sizeof meta.source, "myelin synthetic moving bar");
    myl_writer *w;
    myl_diag d = {0};
    if (myl_writer_open(path, MYL_TRACE_NATIVE, &meta, &w, &d) ||
        myl_writer_write(w, ev, n, &d) || myl_writer_close(w, &d)) {
        fprintf(stderr, "make-demo: %s\n", d.msg);
        return 1;
    }
    return 0;
}

static void list(FILE *f, const char *key, int n, int (*fn)(int, int), int arg)
{
    fprintf(f, "    %s: [", key);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%d", i ? ", " : "", fn(i, arg));
    fprintf(f, "]");
}

static int pix_pre(int i, int a)
{
    (void)a;
    return W * H + i; /* the ON plane */
}
static int pix_post(int i, int a)
{
    (void)a;
    return i % W; /* pixel (x, y) is neuron y * W + x */
}
static int ident(int i, int a)
{
    return i + a;
}

static int write_net(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    fprintf(f,
            "# myelin's demo (written by tools/make-demo.c; see there for the idea): a bar sweeps\n"
            "# across a 32x32 event camera, right then left, and delay-tuned coincidence\n"
            "# detectors tell the directions apart. `right` fires on the first sweep, `left` on\n"
            "# the second. Run it with `myelin` (on Loihi) or `myelin run traces/demo.yaml`.\n"
            "myelin: 1\n"
            "name: demo-direction\n"
            "description: moving bar on a 32x32 DVS, direction told apart by synaptic delays\n"
            "run:\n"
            "  dt: 1 ms\n"
            "  seed: 1\n"
            "populations:\n"
            "  - {name: retina, size: %d, model: events}\n"
            "  - {name: column, size: %d, model: lif, tau_m: 5 ms, v_th: 10, refractory: 5 ms}\n"
            "  - {name: right, size: %d, model: lif, tau_m: 2 ms, v_th: 1.5, refractory: 20 ms}\n"
            "  - {name: left, size: %d, model: lif, tau_m: 2 ms, v_th: 1.5, refractory: 20 ms}\n"
            "projections:\n",
            2 * W * H, W, W - 1, W - 1);
    fprintf(f, "  - name: pixels\n    from: retina\n    to: column\n    rule: explicit\n");
    list(f, "pre", W * H, pix_pre, 0);
    fprintf(f, "\n");
    list(f, "post", W * H, pix_post, 0);
    fprintf(f, "\n    weight: 1\n    delay: 1\n");
    /* right[x] <- column[x] (late), column[x+1] (early); left[x] <- column[x+1] (late), x */
    const struct {
        const char *name, *to;
        int late, early;
    } det[] = {{"right_late", "right", 0, -1}, {"right_early", "right", 1, -1},
               {"left_late", "left", 1, -1},   {"left_early", "left", 0, -1}};
    for (int k = 0; k < 4; k++) {
        int off = k == 0 || k == 3 ? 0 : 1;
        int delay = k == 0 || k == 2 ? 11 : 1;
        fprintf(f, "  - name: %s\n    from: column\n    to: %s\n    rule: explicit\n",
                det[k].name, det[k].to);
        list(f, "pre", W - 1, ident, off);
        fprintf(f, "\n");
        list(f, "post", W - 1, ident, 0);
        fprintf(f, "\n    weight: 1\n    delay: %d\n", delay);
    }
    fprintf(f, "inputs:\n"
               "  - population: retina\n"
               "    trace: bar.myl\n"
               "    polarity: separate\n"
               "outputs: [right, left]\n");
    return fclose(f) ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make-demo TRACE.myl NETWORK.yaml\n");
        return 2;
    }
    return write_trace(argv[1]) || write_net(argv[2]);
}

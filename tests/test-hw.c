/* Tests for hardware models (sim/hw/hw.c, sim/hw/sanafe_arch.c), against docs/hardware-models.md
 * and the public figures collected in shared/reference/hardware.md.
 *
 * The shipped models are checked against numbers typed here from hardware.md, independently of
 * the model files; every figure of every shipped model must carry a mark and a source (or be an
 * unknown with a reason). A small model and a small SANA-FE file written here are read back
 * value by value. Bad input is a table of edits to those files: each edit marks the offending
 * node with '@' (removed before loading), and the test requires the return code and a message
 * that starts with "bad.yaml:LINE:COLUMN: " for that node and names the key or value. Then:
 * the SANA-FE architecture files of the shared sample data (skipped when absent), lookup by
 * name, by path and through MYELIN_HW_PATH, printing, and allocation failure at every
 * allocation a load makes. */
#include "testlib.h"

#include "myelin/alloc.h"
#include "myelin/hw.h"
#include "sim/hw/hw_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static int near(double a, double b)
{
    double m = fabs(b) > 1e-300 ? fabs(b) : 1e-300;
    return a == b || fabs(a - b) <= 1e-12 * m;
}

#define ck_near(a, b)                                                                              \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        ck_assert_msg(near(a_, b_), "%s is %.17g, expected %.17g", #a, a_, b_);                    \
    } while (0)

#define ck_fig(f, val, m)                                                                          \
    do {                                                                                           \
        const myl_fig *f_ = &(f);                                                                  \
        ck_assert_msg(near(f_->v, (val)), "%s is %.17g, expected %.17g", #f, f_->v,                \
                      (double)(val));                                                              \
        ck_assert_msg(f_->mark == (m), "%s has mark '%c', expected '%c'", #f,                      \
                      f_->mark ? f_->mark : '0', (m));                                             \
        ck_assert_msg(f_->source && f_->source[0], "%s has no source", #f);                        \
    } while (0)

#define ck_unknown(f)                                                                              \
    do {                                                                                           \
        const myl_fig *f_ = &(f);                                                                  \
        ck_assert_msg(isnan(f_->v) && f_->mark == 0 && f_->source &&                               \
                          strncmp(f_->source, "unknown: ", 9) == 0,                                \
                      "%s should be unknown with a reason: v %g mark %d source %s", #f, f_->v,     \
                      f_->mark, f_->source ? f_->source : "(null)");                               \
    } while (0)

static myl_hw *load_ok(const char *name)
{
    myl_hw *hw = NULL;
    myl_diag d = {0};
    int rc = myl_hw_load(name, &hw, &d);
    ck_assert_msg(rc == 0, "loading %s: %s: %s", name, myl_err_name(rc), d.set ? d.msg : "-");
    ck_assert_ptr_nonnull(hw);
    return hw;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* text with `from` replaced by `to` (first occurrence; must exist). Caller frees. */
static char *subst(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    ck_assert_msg(at != NULL, "test edit: '%s' not found", from);
    size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    ck_assert_ptr_nonnull(out);
    size_t pre = (size_t)(at - text);
    memcpy(out, text, pre);
    strcpy(out + pre, to);
    strcat(out, at + strlen(from));
    return out;
}

static int starts_with(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* ---- a small model and a small SANA-FE file, written for these tests ---- */

static const char good_model[] =
    "# a test chip\n"
    "myelin_hw: 1\n"
    "description: \"test chip\"\n"
    "references:\n"
    "  ref: \"A. Author, A paper, 2020\"\n"
    "organisation:\n"
    "  cores_per_tile: [2, M, ref]\n"
    "  mesh: {width: [2, M, ref], height: [1, M, ref]}\n"
    "  chips: {width: [0, D, ref], height: [3, D, ref]}\n"
    "core:\n"
    "  neurons: [100, M, ref]\n"
    "  synapse_memory: [1 KiB, M, ref]\n"
    "  synapse_bits: [16 bits, M, ref]\n"
    "  synapses: [500, M, ref]\n"
    "  fan_in: [100, M, ref]\n"
    "  axons_in: [64, M, ref]\n"
    "  axons_out: [32, M, ref]\n"
    "  max_delay: [15, M, ref]\n"
    "  max_refractory: [7, M, ref]\n"
    "arithmetic:\n"
    "  kind: loihi\n"
    "  weight_bits: [8, M, ref]\n"
    "  weight_exponent: {min: [-7, V, ref], max: [7, V, ref]}\n"
    "costs:\n"
    "  msg_in: {energy: [1 pJ, M, ref], latency: [2 ns, M, ref]}\n"
    "  synapse:\n"
    "    - {name: a, energy: [3 pJ, M, ref], latency: [4 ns, M, ref]}\n"
    "    - {name: b, energy: [5e-12, M, ref], latency: [6e-9, M, ref]}\n"
    "  dendrite: {energy: [0 J, D, ref, \"none\"], latency: [0 s, D, ref]}\n"
    "  soma:\n"
    "    - name: lif\n"
    "      access: {energy: [7 pJ, M, ref], latency: [8 ns, M, ref]}\n"
    "      update: {energy: [9 pJ, M, ref], latency: [10 ns, M, ref]}\n"
    "      spike: {energy: [11 pJ, M, ref], latency: [12 ns, M, ref]}\n"
    "    - name: in\n"
    "      input: true\n"
    "      access: {energy: [0 J, M, ref], latency: [0 s, M, ref]}\n"
    "      update: {energy: [0 J, M, ref], latency: [0 s, M, ref]}\n"
    "      spike: {energy: [0 J, M, ref], latency: [0 s, M, ref]}\n"
    "  msg_out: {energy: [13 pJ, M, ref], latency: [14 ns, M, ref]}\n"
    "  hop:\n"
    "    north: {energy: [15 pJ, M, ref], latency: [16 ns, M, ref]}\n"
    "    east: {energy: [17 pJ, M, ref], latency: [18 ns, M, ref]}\n"
    "    south: {energy: [19 pJ, M, ref], latency: [20 ns, M, ref]}\n"
    "    west: {energy: [21 pJ, M, ref], latency: [22 us, M, ref]}\n"
    "  chip_hop: {energy: [unknown, \"not published\"], latency: {unknown: \"not published\"}}\n"
    "  sync: {table: {1: [100 ns, S, ref], 8: [0.5 us, S, \"Someone, elsewhere\"]}}\n"
    "  static_power: [1.5 mW, M, ref]\n"
    "  tick_period: {value: 1 ms, mark: V, source: ref, note: \"real time\"}\n";

static const char good_sanafe[] =
    "architecture:\n"
    "  name: t\n"
    "  attributes:\n"
    "    width: 2\n"
    "    height: 1\n"
    "    sync_model: fixed\n"
    "    latency_sync: 1.0e-6\n"
    "  tile:\n"
    "    - name: t[0..1]\n"
    "      attributes:\n"
    "        energy_north_hop: 1.0e-12\n"
    "        latency_north_hop: 1.0e-9\n"
    "        energy_east_hop: 2.0e-12\n"
    "        latency_east_hop: 2.0e-9\n"
    "        energy_south_hop: 3.0e-12\n"
    "        latency_south_hop: 3.0e-9\n"
    "        energy_west_hop: 4.0e-12\n"
    "        latency_west_hop: 4.0e-9\n"
    "      core:\n"
    "        - name: c[0..2]\n"
    "          attributes: {max_neurons_supported: 64}\n"
    "          axon_in:\n"
    "            - {name: i, attributes: {energy_message_in: 1.0e-12, latency_message_in: "
    "1.0e-9}}\n"
    "          synapse:\n"
    "            - name: s\n"
    "              attributes: {model: current_based, energy_process_spike: 2.0e-12, "
    "latency_process_spike: 2.0e-9}\n"
    "          dendrite:\n"
    "            - name: d\n"
    "              attributes: {model: accumulator, energy_update: 0.5e-12, latency_update: "
    "0.0}\n"
    "          soma:\n"
    "            - name: lif\n"
    "              attributes:\n"
    "                model: leaky_integrate_fire\n"
    "                energy_access_neuron: 3.0e-12\n"
    "                latency_access_neuron: 3.0e-9\n"
    "                energy_update_neuron: 4.0e-12\n"
    "                latency_update_neuron: 4.0e-9\n"
    "                energy_spike_out: 5.0e-12\n"
    "                latency_spike_out: 5.0e-9\n"
    "            - name: in[0..7]\n"
    "              attributes:\n"
    "                model: input\n"
    "                energy_access_neuron: 0\n"
    "                latency_access_neuron: 0\n"
    "                energy_update_neuron: 0\n"
    "                latency_update_neuron: 0\n"
    "                energy_spike_out: 0\n"
    "                latency_spike_out: 0\n"
    "          axon_out:\n"
    "            - {name: o, attributes: {energy_message_out: 6.0e-12, latency_message_out: "
    "6.0e-9}}\n";

/* ---- the test chip, value by value ---- */

START_TEST(test_good_model)
{
    const char *path = myl_test_tmp("good.yaml");
    write_file(path, good_model);
    myl_hw *hw = load_ok(path);
    ck_assert_str_eq(hw->name, "good");
    ck_assert_str_eq(hw->description, "test chip");
    ck_assert_str_eq(hw->path, path);
    ck_assert_int_eq(hw->sanafe, 0);
    ck_assert_uint_eq(hw->cores_per_tile, 2);
    ck_assert_uint_eq(hw->mesh_w, 2);
    ck_assert_uint_eq(hw->mesh_h, 1);
    ck_assert_uint_eq(hw->chips_w, 0);
    ck_assert_uint_eq(hw->chips_h, 3);
    ck_assert_uint_eq(hw->max_neurons, 100);
    ck_assert_uint_eq(hw->syn_mem_bits, 8192);
    ck_assert_uint_eq(hw->syn_bits, 16);
    ck_assert_uint_eq(hw->max_synapses, 500);
    ck_assert_uint_eq(hw->max_fanin, 100);
    ck_assert_uint_eq(hw->max_axons_in, 64);
    ck_assert_uint_eq(hw->max_axons_out, 32);
    ck_assert_uint_eq(hw->max_delay, 15);
    ck_assert_uint_eq(hw->max_refractory, 7);
    ck_assert_int_eq(hw->arith, MYL_ARITH_LOIHI);
    ck_assert_uint_eq(hw->weight_bits, 8);
    ck_assert_int_eq(hw->weight_exp_min, -7);
    ck_assert_int_eq(hw->weight_exp_max, 7);

    ck_fig(hw->msg_in.energy, 1e-12, 'M');
    ck_fig(hw->msg_in.latency, 2e-9, 'M');
    ck_assert_uint_eq(hw->nsynapse, 2);
    ck_assert_str_eq(hw->synapse[0].name, "a");
    ck_assert_str_eq(hw->synapse[1].name, "b");
    ck_fig(hw->synapse[0].spike.energy, 3e-12, 'M');
    ck_fig(hw->synapse[0].spike.latency, 4e-9, 'M');
    ck_fig(hw->synapse[1].spike.energy, 5e-12, 'M');
    ck_fig(hw->synapse[1].spike.latency, 6e-9, 'M');
    ck_fig(hw->dendrite.energy, 0, 'D');
    ck_assert_str_eq(hw->dendrite.energy.source, "A. Author, A paper, 2020; none");
    ck_assert_str_eq(hw->dendrite.latency.source, "A. Author, A paper, 2020");
    ck_assert_uint_eq(hw->nsoma, 2);
    ck_assert_str_eq(hw->soma[0].name, "lif");
    ck_assert_int_eq(hw->soma[0].input, 0);
    ck_fig(hw->soma[0].access.energy, 7e-12, 'M');
    ck_fig(hw->soma[0].access.latency, 8e-9, 'M');
    ck_fig(hw->soma[0].update.energy, 9e-12, 'M');
    ck_fig(hw->soma[0].update.latency, 10e-9, 'M');
    ck_fig(hw->soma[0].spike.energy, 11e-12, 'M');
    ck_fig(hw->soma[0].spike.latency, 12e-9, 'M');
    ck_assert_str_eq(hw->soma[1].name, "in");
    ck_assert_int_eq(hw->soma[1].input, 1);
    ck_fig(hw->msg_out.energy, 13e-12, 'M');
    ck_fig(hw->msg_out.latency, 14e-9, 'M');
    ck_fig(hw->hop_n.energy, 15e-12, 'M');
    ck_fig(hw->hop_n.latency, 16e-9, 'M');
    ck_fig(hw->hop_e.energy, 17e-12, 'M');
    ck_fig(hw->hop_e.latency, 18e-9, 'M');
    ck_fig(hw->hop_s.energy, 19e-12, 'M');
    ck_fig(hw->hop_s.latency, 20e-9, 'M');
    ck_fig(hw->hop_w.energy, 21e-12, 'M');
    ck_fig(hw->hop_w.latency, 22e-6, 'M');
    ck_unknown(hw->chip_hop.energy);
    ck_unknown(hw->chip_hop.latency);
    ck_assert_str_eq(hw->chip_hop.energy.source, "unknown: not published");
    ck_assert_int_eq(myl__fig_known(&hw->chip_hop.energy), 0);
    ck_assert_int_eq(myl__fig_known(&hw->hop_n.energy), 1);
    ck_assert_int_eq(hw->sync_table, 1);
    ck_assert_uint_eq(hw->nsync, 2);
    ck_assert_uint_eq(hw->sync_tiles[0], 1);
    ck_assert_uint_eq(hw->sync_tiles[1], 8);
    ck_fig(hw->sync_lat[0], 100e-9, 'S');
    ck_fig(hw->sync_lat[1], 0.5e-6, 'S');
    ck_assert_str_eq(hw->sync_lat[1].source, "Someone, elsewhere");
    ck_fig(hw->static_power, 1.5e-3, 'M');
    ck_fig(hw->tick_period, 1e-3, 'V');
    ck_assert_str_eq(hw->tick_period.source, "A. Author, A paper, 2020; real time");
    ck_assert_str_eq(hw->references, "ref: A. Author, A paper, 2020\n");
    /* values are exactly the decimal numbers written, not products of rounded factors */
    ck_assert(hw->synapse[0].spike.energy.v == 3e-12);
    ck_assert(hw->sync_lat[1].v == 0.5e-6);
    ck_assert(hw->static_power.v == 1.5e-3);

    /* the capacity figures keep their sources too */
    const myl__hw *h = myl__hw_priv(hw);
    ck_assert_ptr_nonnull(h);
    ck_fig(h->cap[MYL__CAP_NEURONS], 100, 'M');
    ck_fig(h->cap[MYL__CAP_SYN_MEM], 8192, 'M');
    ck_fig(h->cap[MYL__CAP_WEIGHT_EXP_MIN], -7, 'V');
    ck_assert_ptr_null(h->warnings);

    /* variants */
    ck_assert_int_eq(myl_hw_soma_index(hw, NULL), 0);
    ck_assert_int_eq(myl_hw_soma_index(hw, "in"), 1);
    ck_assert_int_eq(myl_hw_soma_index(hw, "nope"), -1);
    ck_assert_int_eq(myl_hw_synapse_index(hw, NULL), 0);
    ck_assert_int_eq(myl_hw_synapse_index(hw, "b"), 1);
    ck_assert_int_eq(myl_hw_synapse_index(hw, "b[0]"), 1); /* one copy of a range */
    ck_assert_int_eq(myl_hw_synapse_index(hw, "b[x]"), -1);
    ck_assert_int_eq(myl_hw_synapse_index(hw, "c"), -1);
    myl_hw_free(hw);
}
END_TEST

START_TEST(test_unknown_static_power_is_zero)
{
    char *t = subst(good_model, "static_power: [1.5 mW, M, ref]",
                    "static_power: [unknown, \"never measured\"]");
    const char *path = myl_test_tmp("static.yaml");
    write_file(path, t);
    free(t);
    myl_hw *hw = load_ok(path);
    /* hw.h: static_power is 0 when unknown; the mark (0) and source say it is unknown */
    ck_assert(hw->static_power.v == 0);
    ck_assert_int_eq(hw->static_power.mark, 0);
    ck_assert_str_eq(hw->static_power.source, "unknown: never measured");
    myl_hw_free(hw);
}
END_TEST

/* The full example of docs/hardware-models.md loads, so the documentation cannot drift. */
START_TEST(test_docs_example)
{
    FILE *f = fopen(myl_test_src("docs/hardware-models.md"), "rb");
    ck_assert_ptr_nonnull(f);
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = 0;
    char *at = strstr(doc, "### A full example");
    ck_assert_ptr_nonnull(at);
    char *start = strstr(at, "```yaml\n");
    ck_assert_ptr_nonnull(start);
    start += 8;
    char *end = strstr(start, "```\n");
    ck_assert_ptr_nonnull(end);
    *end = 0;
    const char *path = myl_test_tmp("example.yaml");
    write_file(path, start);
    myl_hw *hw = load_ok(path);
    ck_assert_uint_eq(hw->cores_per_tile * hw->mesh_w * hw->mesh_h, 8);
    ck_assert_uint_eq(hw->syn_mem_bits, 64 * 8192);
    ck_assert_uint_eq(hw->nsynapse, 2);
    ck_assert_uint_eq(hw->nsoma, 2);
    ck_assert_int_eq(hw->soma[1].input, 1);
    ck_fig(hw->soma[0].update.energy, 20e-12, 'D');
    ck_unknown(hw->chip_hop.latency);
    ck_assert_uint_eq(hw->nsync, 2);
    myl_hw_free(hw);
}
END_TEST

/* ---- bad files ---- */

typedef struct bad {
    const char *from1, *to1; /* edits of the good text; '@' in to1 or to2 marks the node */
    const char *from2, *to2;
    int rc;
    const char *needle; /* must appear in the message */
    int nopos;          /* position decided by libyaml: only check the file name */
} bad;

static const bad bad_models[] = {
    /* 1 missing cost */
    {"  msg_out: {energy: [13 pJ, M, ref], latency: [14 ns, M, ref]}\n", "", "costs:\n  msg_in",
     "costs:\n  @msg_in", MYL_EPARSE, "costs: 'msg_out' is missing", 0},
    /* 2 missing energy of an operation */
    {"msg_in: {energy: [1 pJ, M, ref], latency", "msg_in: @{latency", NULL, NULL, MYL_EPARSE,
     "costs: msg_in: 'energy' is missing", 0},
    /* 3 negative cost */
    {"[3 pJ, M, ref]", "[@-3 pJ, M, ref]", NULL, NULL, MYL_EPARSE,
     "costs: synapse 'a': energy: -3 pJ is negative", 0},
    /* 4 unknown arithmetic */
    {"kind: loihi", "kind: @loihi3", NULL, NULL, MYL_EPARSE,
     "arithmetic: kind: unknown arithmetic 'loihi3' (expected float, loihi", 0},
    /* 5 mesh 0 x 1 */
    {"mesh: {width: [2, M, ref]", "mesh: {width: @[0, M, ref]", NULL, NULL, MYL_EPARSE,
     "organisation: mesh: width: 0 is below 1; a chip's mesh is at least 1 x 1 tiles", 0},
    /* 6 unknown key, with the near miss */
    {"  dendrite: {", "  @dendrit: {", NULL, NULL, MYL_EPARSE,
     "costs: unknown key 'dendrit' (did you mean 'dendrite'?", 0},
    /* 7 duplicate key */
    {"  static_power: [1.5 mW, M, ref]\n",
     "  static_power: [1.5 mW, M, ref]\n  @static_power: [2 mW, M, ref]\n", NULL, NULL, MYL_EPARSE,
     "costs: key 'static_power' appears twice", 0},
    /* 8 bad number */
    {"[17 pJ, M, ref]", "[@seventeen pJ, M, ref]", NULL, NULL, MYL_EPARSE,
     "costs: hop: east: energy: 'seventeen pJ' is not a number", 0},
    /* 9 wrong type */
    {"north: {energy: [15 pJ, M, ref], latency: [16 ns, M, ref]}", "north: @[15 pJ, M, ref]", NULL,
     NULL, MYL_EPARSE, "costs: hop: north: expected a mapping, found a list", 0},
    /* 10 synapse memory smaller than one synapse */
    {"synapse_memory: [1 KiB, M, ref]", "synapse_memory: @[8 bits, M, ref]", NULL, NULL, MYL_EPARSE,
     "core: synapse_memory: 8 bits cannot hold one synapse of synapse_bits = 16", 0},
    /* 11 duplicate variant names */
    {"- {name: b,", "- {name: @a,", NULL, NULL, MYL_EPARSE,
     "costs: synapse 2: a variant named 'a' is already defined", 0},
    /* 12 bad mark */
    {"[7 pJ, M, ref]", "[7 pJ, @X, ref]", NULL, NULL, MYL_EPARSE,
     "costs: soma 'lif': access: energy: mark 'X' is not one of M", 0},
    /* 13 unknown reference key */
    {"[9 pJ, M, ref]", "[9 pJ, M, @reff]", NULL, NULL, MYL_EPARSE,
     "costs: soma 'lif': update: energy: source 'reff' is not a key of 'references' (keys: ref)",
     0},
    /* 14 a number without mark and source */
    {"[11 pJ, M, ref]", "@11 pJ", NULL, NULL, MYL_EPARSE,
     "costs: soma 'lif': spike: energy: '11 pJ' has no mark and no source", 0},
    /* 15 null without a reason */
    {"latency: {unknown: \"not published\"}", "latency: @null", NULL, NULL, MYL_EPARSE,
     "costs: chip_hop: latency: an unknown figure needs a reason", 0},
    /* 16 a unit of the wrong kind */
    {"[4 ns, M, ref]", "[@4 pJ, M, ref]", NULL, NULL, MYL_EPARSE,
     "costs: synapse 'a': latency: 'pJ' is not a unit of a time", 0},
    /* 17 fan-in above the synapses of the core */
    {"fan_in: [100, M, ref]", "fan_in: @[1000, M, ref]", NULL, NULL, MYL_EPARSE,
     "core: fan_in: 1000 synapses into one neuron is more than the core's synapses = 500", 0},
    /* 18 synapse bits without the memory they are counted against */
    {"  synapse_memory: [1 KiB, M, ref]\n", "", "synapse_bits: [16", "synapse_bits: @[16",
     MYL_EPARSE, "core: synapse_bits needs synapse_memory", 0},
    /* 19 zero capacity */
    {"neurons: [100, M, ref]", "neurons: @[0, M, ref]", NULL, NULL, MYL_EPARSE,
     "core: neurons: 0 is below 1; 0 would mean no limit: leave the key out instead", 0},
    /* 20 sync table not starting at 1 tile */
    {"{1: [100 ns, S, ref], 8:", "{@2: [100 ns, S, ref], 8:", NULL, NULL, MYL_EPARSE,
     "costs: sync: table: the first entry must be for 1 tile", 0},
    /* 21 sync table not increasing */
    {"8: [0.5 us, S, \"Someone, elsewhere\"]}",
     "8: [0.5 us, S, \"Someone, elsewhere\"], @4: [1 us, S, ref]}", NULL, NULL, MYL_EPARSE,
     "costs: sync: table: tile counts must increase; 4 follows 8", 0},
    /* 22 format version */
    {"myelin_hw: 1", "myelin_hw: @2", NULL, NULL, MYL_EPARSE,
     "myelin_hw (format version): expected a whole number from 1 to 1, found '2'", 0},
    /* 23 exponent range upside down */
    {"weight_exponent: {min: [-7, V, ref], max: [7, V, ref]}",
     "weight_exponent: @{min: [7, V, ref], max: [-7, V, ref]}", NULL, NULL, MYL_EPARSE,
     "arithmetic: weight_exponent: min 7 is above max -7", 0},
    /* 24 fixed-point arithmetic without weight precision */
    {"  weight_bits: [8, M, ref]\n", "", "arithmetic:\n  kind", "arithmetic:\n  @kind", MYL_EPARSE,
     "arithmetic: 'loihi' is fixed point and needs weight_bits", 0},
    /* 25 tick period cannot be unknown */
    {"tick_period: {value: 1 ms, mark: V, source: ref, note: \"real time\"}",
     "tick_period: @[unknown, \"no idea\"]", NULL, NULL, MYL_EPARSE,
     "costs: tick_period: this figure cannot be unknown", 0},
    /* 26 a count that is not whole */
    {"cores_per_tile: [2, M, ref]", "cores_per_tile: [@2.5, M, ref]", NULL, NULL, MYL_EPARSE,
     "organisation: cores_per_tile: 2.5 is not a whole number", 0},
    /* 27 description missing */
    {"description: \"test chip\"\n", "", "myelin_hw: 1", "@myelin_hw: 1", MYL_EPARSE,
     "top level: 'description' is missing", 0},
    /* 28 variant name with a space */
    {"- name: lif", "- name: @li f", NULL, NULL, MYL_EPARSE,
     "costs: soma 1: name 'li f' must be letters, digits", 0},
    /* 29 not a boolean */
    {"input: true", "input: @yes", NULL, NULL, MYL_EPARSE,
     "costs: soma 'in': input: expected true or false, found 'yes'", 0},
    /* 30 YAML syntax */
    {"description: \"test chip\"", "description: \"test chip", NULL, NULL, MYL_EPARSE,
     "YAML syntax error", 1},
    /* 31 a figure as a mapping missing its mark */
    {"tick_period: {value: 1 ms, mark: V, source: ref, note: \"real time\"}",
     "tick_period: @{value: 1 ms, source: ref}", NULL, NULL, MYL_EPARSE,
     "costs: tick_period: a figure needs value, mark and source", 0},
    /* 32 an unknown key inside a figure */
    {"tick_period: {value: 1 ms, mark: V, source: ref, note: \"real time\"}",
     "tick_period: {value: 1 ms, mark: V, source: ref, @nots: \"real time\"}", NULL, NULL,
     MYL_EPARSE, "costs: tick_period: unknown key 'nots' (did you mean 'note'?", 0},
    /* 33 too many items in a figure */
    {"[13 pJ, M, ref]", "@[13 pJ, M, ref, a, b]", NULL, NULL, MYL_EPARSE,
     "costs: msg_out: energy: expected [value, mark, source] or [value, mark, source, note], "
     "found a list of 5",
     0},
    /* 34 no synapse variant */
    {"  synapse:\n    - {name: a, energy: [3 pJ, M, ref], latency: [4 ns, M, ref]}\n"
     "    - {name: b, energy: [5e-12, M, ref], latency: [6e-9, M, ref]}\n",
     "  synapse: @[]\n", NULL, NULL, MYL_EPARSE, "costs: synapse: at least one variant is needed",
     0},
    /* 35 empty file */
    {NULL, NULL, NULL, NULL, MYL_EPARSE, "the file is empty", 1},
};

static const bad bad_sanafe[] = {
    /* 1 range upside down */
    {"- name: t[0..1]", "- name: @t[1..0]", NULL, NULL, MYL_EPARSE,
     "architecture: tile: range in 't[1..0]' is empty: 1 is above 0", 0},
    /* 2 range that is not numbers */
    {"- name: c[0..2]", "- name: @c[0..x]", NULL, NULL, MYL_EPARSE,
     "core: bad range in 'c[0..x]'; expected name[first..last]", 0},
    /* 3 range without its closing bracket */
    {"- name: c[0..2]", "- name: @c[0..2", NULL, NULL, MYL_EPARSE, "bad range in 'c[0..2'", 0},
    /* 4 a cost attribute myelin does not know */
    {"energy_update: 0.5e-12", "@energy_updates: 0.5e-12", NULL, NULL, MYL_EPARSE,
     "dendrite 'd': unknown cost 'energy_updates': myelin would ignore it and under-count", 0},
    /* 5 negative cost */
    {"energy_message_out: 6.0e-12", "energy_message_out: @-6.0e-12", NULL, NULL, MYL_EPARSE,
     "axon_out 'o': energy_message_out: -6.0e-12 is negative", 0},
    /* 6 duplicate soma names */
    {"- name: in[0..7]", "- name: @lif", NULL, NULL, MYL_EPARSE,
     "soma: a soma unit named 'lif' is already defined", 0},
    /* 7 tiles that do not fill the mesh */
    {"width: 2", "width: @3", NULL, NULL, MYL_EPARSE,
     "architecture: width x height = 3 x 1 = 3 tiles, but the file defines 2", 0},
    /* 8 a topology other than a mesh */
    {"    width: 2\n", "    width: 2\n    topology: @torus\n", NULL, NULL, MYL_EPARSE,
     "architecture: topology 'torus': myelin models a 2-D mesh only", 0},
    /* 9 an unknown sync model */
    {"sync_model: fixed", "sync_model: @foo", NULL, NULL, MYL_EPARSE,
     "architecture: sync_model 'foo' (expected fixed or table)", 0},
    /* 10 a cost that is not a number */
    {"latency_east_hop: 2.0e-9", "latency_east_hop: @fast", NULL, NULL, MYL_EPARSE,
     "tile 't': attributes: latency_east_hop: expected a number, found 'fast'", 0},
    /* 11 a missing unit section */
    {"          axon_out:\n            - {name: o, attributes: {energy_message_out: 6.0e-12, "
     "latency_message_out: 6.0e-9}}\n",
     "", "        - name: c[0..2]\n          attributes",
     "        - @name: c[0..2]\n          attributes", MYL_EPARSE,
     "core 'c': 'axon_out' is missing", 0},
    /* 12 sync table not starting at 1 tile */
    {"    sync_model: fixed\n    latency_sync: 1.0e-6\n",
     "    sync_model: table\n    latency_sync: {@2: 1.0e-6}\n", NULL, NULL, MYL_EPARSE,
     "architecture: latency_sync: the first entry must be for 1 tile", 0},
    /* 13 duplicate attribute */
    {"        energy_south_hop: 3.0e-12\n",
     "        energy_south_hop: 3.0e-12\n        @energy_south_hop: 3.0e-12\n", NULL, NULL,
     MYL_EPARSE, "key 'energy_south_hop' appears twice", 0},
};

/* Apply a case's edits to `good`; return the text and the 1-based line and column of '@'. */
static char *apply(const char *good, const bad *b, int *line, int *col)
{
    char *t1 = b->from1 ? subst(good, b->from1, b->to1) : strdup("");
    char *t = b->from2 ? subst(t1, b->from2, b->to2) : strdup(t1);
    free(t1);
    char *at = strchr(t, '@');
    *line = *col = 0;
    if (at) {
        *line = 1;
        *col = 1;
        for (char *p = t; p < at; p++) {
            if (*p == '\n')
                (*line)++, *col = 1;
            else
                (*col)++;
        }
        memmove(at, at + 1, strlen(at));
    }
    return t;
}

static void check_bad(const char *good, const bad *b, size_t i, const char *kind)
{
    int line, col;
    char *text = apply(good, b, &line, &col);
    const char *path = myl_test_tmp("bad.yaml");
    write_file(path, text);
    myl_hw *hw = NULL;
    myl_diag d = {0};
    int rc = myl_hw_load(path, &hw, &d);
    if (rc != b->rc)
        ck_abort_msg("%s case %zu: got %s (%s), expected %s\n--- input ---\n%s", kind, i + 1,
                     myl_err_name(rc), d.msg, myl_err_name(b->rc), text);
    if (hw)
        ck_abort_msg("%s case %zu: a model was returned with an error", kind, i + 1);
    char prefix[4200];
    if (b->nopos)
        snprintf(prefix, sizeof prefix, "%s:", path);
    else
        snprintf(prefix, sizeof prefix, "%s:%d:%d: ", path, line, col);
    if (!b->nopos && !line)
        ck_abort_msg("%s case %zu: the test marks no node with '@'", kind, i + 1);
    if (!d.set || !starts_with(d.msg, prefix))
        ck_abort_msg("%s case %zu: message '%s' does not start with '%s'\n--- input ---\n%s", kind,
                     i + 1, d.msg, prefix, text);
    if (!strstr(d.msg, b->needle))
        ck_abort_msg("%s case %zu: message '%s' does not say '%s'", kind, i + 1, d.msg, b->needle);
    free(text);
}

START_TEST(test_bad_models)
{
    for (size_t i = 0; i < sizeof bad_models / sizeof bad_models[0]; i++)
        check_bad(good_model, &bad_models[i], i, "model");
}
END_TEST

START_TEST(test_bad_sanafe)
{
    for (size_t i = 0; i < sizeof bad_sanafe / sizeof bad_sanafe[0]; i++)
        check_bad(good_sanafe, &bad_sanafe[i], i, "SANA-FE");
    /* tiles that differ: a second tile entry with other hop costs */
    char *t = subst(good_sanafe, "    - name: t[0..1]\n", "    - name: t[0..0]\n");
    const char *extra =
        "    - name: u\n"
        "      attributes: {energy_north_hop: 9.0e-12, latency_north_hop: 1.0e-9, "
        "energy_east_hop: 2.0e-12, latency_east_hop: 2.0e-9, energy_south_hop: 3.0e-12, "
        "latency_south_hop: 3.0e-9, energy_west_hop: 4.0e-12, latency_west_hop: 4.0e-9}\n"
        "      core:\n"
        "        - name: c\n"
        "          axon_in: {name: i, attributes: {energy_message_in: 0, latency_message_in: 0}}\n"
        "          synapse: {name: s, attributes: {energy_process_spike: 0, "
        "latency_process_spike: 0}}\n"
        "          dendrite: {name: d, attributes: {energy_update: 0, latency_update: 0}}\n"
        "          soma: {name: lif, attributes: {energy_access_neuron: 0, "
        "latency_access_neuron: 0, energy_update_neuron: 0, latency_update_neuron: 0, "
        "energy_spike_out: 0, latency_spike_out: 0}}\n"
        "          axon_out: {name: o, attributes: {energy_message_out: 0, latency_message_out: "
        "0}}\n";
    size_t len = strlen(t) + strlen(extra) + 1;
    char *both = malloc(len);
    snprintf(both, len, "%s%s", t, extra);
    const char *path = myl_test_tmp("bad.yaml");
    write_file(path, both);
    myl_hw *hw = NULL;
    myl_diag d = {0};
    ck_assert_int_eq(myl_hw_load(path, &hw, &d), MYL_EPARSE);
    ck_assert_msg(strstr(d.msg, "tile 'u': its north hop costs differ from the first tile's"), "%s",
                  d.msg);
    free(both);
    /* same hops, but a core that differs */
    char *same = subst(extra, "energy_north_hop: 9.0e-12", "energy_north_hop: 1.0e-12");
    len = strlen(t) + strlen(same) + 1;
    both = malloc(len);
    snprintf(both, len, "%s%s", t, same);
    write_file(path, both);
    myl_diag_clear(&d);
    ck_assert_int_eq(myl_hw_load(path, &hw, &d), MYL_EPARSE);
    ck_assert_msg(strstr(d.msg, "tile 'u': core 'c': differs from the first core in "
                                "max_neurons_supported; myelin models chips whose cores are all "
                                "alike"),
                  "%s", d.msg);
    free(same);
    free(t);
    free(both);
}
END_TEST

START_TEST(test_good_sanafe)
{
    const char *path = myl_test_tmp("chip.yaml");
    char *t = subst(good_sanafe, "    height: 1\n", "    height: 1\n    link_buffer_size: 4\n");
    write_file(path, t);
    free(t);
    myl_hw *hw = load_ok(path);
    ck_assert_int_eq(hw->sanafe, 1);
    ck_assert_str_eq(hw->name, "chip");
    ck_assert_uint_eq(hw->cores_per_tile, 3);
    ck_assert_uint_eq(hw->mesh_w, 2);
    ck_assert_uint_eq(hw->mesh_h, 1);
    ck_assert_uint_eq(hw->chips_w, 1);
    ck_assert_uint_eq(hw->chips_h, 1);
    ck_assert_uint_eq(hw->max_neurons, 64);
    ck_assert_int_eq(hw->arith, MYL_ARITH_FLOAT);
    ck_fig(hw->hop_n.energy, 1e-12, 'C');
    ck_fig(hw->hop_e.latency, 2e-9, 'C');
    ck_fig(hw->hop_s.energy, 3e-12, 'C');
    ck_fig(hw->hop_w.latency, 4e-9, 'C');
    ck_fig(hw->msg_in.energy, 1e-12, 'C');
    ck_fig(hw->synapse[0].spike.energy, 2e-12, 'C');
    ck_fig(hw->dendrite.energy, 0.5e-12, 'C');
    ck_assert_uint_eq(hw->nsoma, 2);
    ck_assert_str_eq(hw->soma[0].name, "lif");
    ck_assert_str_eq(hw->soma[1].name, "in");
    ck_assert_int_eq(hw->soma[1].input, 1);
    ck_assert_int_eq(hw->soma[0].input, 0);
    ck_fig(hw->soma[0].update.latency, 4e-9, 'C');
    ck_fig(hw->msg_out.energy, 6e-12, 'C');
    ck_assert_int_eq(hw->sync_table, 0);
    ck_fig(hw->sync, 1e-6, 'C');
    ck_assert_str_eq(hw->sync.source, "SANA-FE architecture file chip.yaml");
    ck_unknown(hw->chip_hop.energy);
    ck_assert(hw->static_power.v == 0 && hw->static_power.mark == 0);
    ck_assert(hw->tick_period.v == 0);
    /* a copy of a ranged unit finds its variant */
    ck_assert_int_eq(myl_hw_soma_index(hw, "in[5]"), 1);
    ck_assert_int_eq(myl_hw_soma_index(hw, "in"), 1);
    ck_assert_int_eq(myl_hw_soma_index(hw, "lif"), 0);
    /* what is not modelled is listed, with its place */
    const myl__hw *h = myl__hw_priv(hw);
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(h->warnings);
    ck_assert_msg(strstr(h->warnings, "chip.yaml:6:5: architecture: attributes: "
                                      "link_buffer_size = 4: not modelled by myelin"),
                  "%s", h->warnings);
    myl_hw_free(hw);

    /* a missing cost attribute loads as 0, marked D, with a warning */
    t = subst(good_sanafe, "        latency_west_hop: 4.0e-9\n", "");
    write_file(path, t);
    free(t);
    hw = load_ok(path);
    ck_fig(hw->hop_w.latency, 0, 'D');
    h = myl__hw_priv(hw);
    ck_assert_msg(h->warnings && strstr(h->warnings, "latency_west_hop is not given: taken as 0"),
                  "%s", h->warnings ? h->warnings : "(none)");
    myl_hw_free(hw);
}
END_TEST

/* ---- the shipped models, against hardware.md ---- */

static const char *const shipped[] = {"loihi",      "loihi-sanafe", "truenorth", "spinnaker1",
                                      "spinnaker2", "odin",         "ideal"};

START_TEST(test_shipped_loihi)
{
    unsetenv("MYELIN_HW_PATH");
    myl_hw *hw = load_ok("loihi");
    /* hardware.md, Intel Loihi (Davies et al. 2018) */
    ck_assert_uint_eq(hw->cores_per_tile, 4);
    ck_assert_uint_eq(hw->mesh_w * hw->mesh_h, 32);
    ck_assert_uint_eq(hw->mesh_w, 8);
    ck_assert_uint_eq(hw->mesh_h, 4);
    ck_assert_uint_eq(hw->cores_per_tile * hw->mesh_w * hw->mesh_h, 128);
    ck_assert_uint_eq(hw->max_neurons, 1024);
    ck_assert_uint_eq(hw->max_axons_in, 4096);
    ck_assert_uint_eq(hw->max_axons_out, 4096);
    ck_assert_uint_eq(hw->syn_mem_bits, 16384ull * 64);
    ck_assert_uint_eq(hw->syn_mem_bits / 8, 128 * 1024);
    ck_assert_uint_eq(hw->weight_bits, 8);
    ck_assert_uint_eq(hw->max_delay, 62);
    ck_assert_uint_eq(hw->max_refractory, 63);
    ck_assert_int_eq(hw->arith, MYL_ARITH_LOIHI);
    ck_assert(hw->weight_exp_min < 0 && hw->weight_exp_max > 0);
    ck_fig(hw->synapse[0].spike.energy, 23.6e-12, 'S');
    ck_fig(hw->synapse[0].spike.latency, 3.5e-9, 'S');
    /* access = inactive update; access + update = active update */
    ck_fig(hw->soma[0].access.energy, 52e-12, 'S');
    ck_fig(hw->soma[0].access.latency, 5.3e-9, 'S');
    ck_assert_int_eq(hw->soma[0].update.energy.mark, 'D');
    ck_near(hw->soma[0].access.energy.v + hw->soma[0].update.energy.v, 81e-12);
    ck_near(hw->soma[0].access.latency.v + hw->soma[0].update.latency.v, 8.4e-9);
    ck_fig(hw->msg_out.energy, 1.7e-12, 'S');
    ck_fig(hw->msg_out.latency, 2.1e-9, 'S');
    ck_fig(hw->hop_e.energy, 3.0e-12, 'S');
    ck_fig(hw->hop_w.energy, 3.0e-12, 'S');
    ck_fig(hw->hop_n.energy, 4.0e-12, 'S');
    ck_fig(hw->hop_s.energy, 4.0e-12, 'S');
    ck_fig(hw->hop_e.latency, 4.1e-9, 'S');
    ck_fig(hw->hop_n.latency, 6.5e-9, 'S');
    ck_assert_int_eq(hw->sync_table, 1);
    ck_assert_uint_eq(hw->nsync, 2);
    ck_assert_uint_eq(hw->sync_tiles[0], 1);
    ck_assert_uint_eq(hw->sync_tiles[1], 32);
    ck_fig(hw->sync_lat[0], 113e-9, 'S');
    ck_fig(hw->sync_lat[1], 465e-9, 'S');
    ck_fig(hw->static_power, 0.029, 'M'); /* Blouw et al. 2019, idle */
    ck_unknown(hw->chip_hop.energy);
    ck_assert(hw->tick_period.v == 0);
    ck_assert_ptr_nonnull(strstr(hw->synapse[0].spike.energy.source, "Davies"));
    myl_hw_free(hw);
}
END_TEST

START_TEST(test_shipped_loihi_sanafe)
{
    unsetenv("MYELIN_HW_PATH");
    myl_hw *hw = load_ok("loihi-sanafe");
    /* hardware.md, the calibrated set (C) of Boyle et al. 2025 */
    ck_assert_uint_eq(hw->nsynapse, 3);
    int dense = myl_hw_synapse_index(hw, "dense"), sparse = myl_hw_synapse_index(hw, "sparse"),
        conv = myl_hw_synapse_index(hw, "conv");
    ck_assert_int_eq(dense, 0);
    ck_assert(sparse > 0 && conv > 0);
    ck_fig(hw->synapse[dense].spike.energy, 35.5e-12, 'C');
    ck_fig(hw->synapse[dense].spike.latency, 3.8e-9, 'C');
    ck_fig(hw->synapse[sparse].spike.energy, 33.6e-12, 'C');
    ck_fig(hw->synapse[sparse].spike.latency, 4.7e-9, 'C');
    ck_fig(hw->synapse[conv].spike.energy, 24.0e-12, 'C');
    ck_fig(hw->synapse[conv].spike.latency, 3.1e-9, 'C');
    ck_fig(hw->soma[0].access.energy, 51.2e-12, 'C');
    ck_fig(hw->soma[0].access.latency, 6.0e-9, 'C');
    ck_fig(hw->soma[0].update.energy, 21.6e-12, 'C');
    ck_fig(hw->soma[0].update.latency, 3.7e-9, 'C');
    ck_fig(hw->soma[0].spike.energy, 69.3e-12, 'C');
    ck_fig(hw->soma[0].spike.latency, 30e-9, 'C');
    int in = myl_hw_soma_index(hw, "input");
    ck_assert(in > 0 && hw->soma[in].input);
    ck_fig(hw->msg_out.energy, 111e-12, 'C');
    ck_fig(hw->msg_out.latency, 5.1e-9, 'C');
    ck_fig(hw->msg_in.energy, 0, 'C');
    ck_fig(hw->msg_in.latency, 16e-9, 'C');
    ck_fig(hw->hop_e.energy, 3.0e-12, 'C');
    ck_fig(hw->hop_w.energy, 3.0e-12, 'C');
    ck_fig(hw->hop_n.energy, 4.2e-12, 'C');
    ck_fig(hw->hop_s.energy, 4.2e-12, 'C');
    ck_fig(hw->hop_e.latency, 4.1e-9, 'C');
    ck_fig(hw->hop_s.latency, 6.5e-9, 'C');
    static const uint32_t tiles[] = {1, 2, 4, 29};
    static const double lat[] = {0.6e-6, 1.0e-6, 1.4e-6, 1.8e-6};
    ck_assert_int_eq(hw->sync_table, 1);
    ck_assert_uint_eq(hw->nsync, 4);
    for (int i = 0; i < 4; i++) {
        if (hw->sync_tiles[i] != tiles[i] || !near(hw->sync_lat[i].v, lat[i]) ||
            hw->sync_lat[i].mark != 'C')
            ck_abort_msg("sync entry %d: %u tiles, %g s, mark %c", i, hw->sync_tiles[i],
                         hw->sync_lat[i].v, hw->sync_lat[i].mark);
    }
    ck_assert_uint_eq(hw->cores_per_tile * hw->mesh_w * hw->mesh_h, 128);
    ck_assert_uint_eq(hw->max_neurons, 1024);
    ck_assert_ptr_nonnull(strstr(hw->msg_out.energy.source, "Boyle"));
    myl_hw_free(hw);
}
END_TEST

START_TEST(test_shipped_others)
{
    unsetenv("MYELIN_HW_PATH");
    /* TrueNorth (Merolla et al. 2014) */
    myl_hw *hw = load_ok("truenorth");
    ck_assert_uint_eq(hw->cores_per_tile * hw->mesh_w * hw->mesh_h, 4096);
    ck_assert_uint_eq(hw->mesh_w, 64);
    ck_assert_uint_eq(hw->mesh_h, 64);
    ck_assert_uint_eq(hw->max_neurons, 256);
    ck_assert_uint_eq(hw->max_axons_in, 256);
    ck_assert_uint_eq(hw->max_synapses, 256 * 256);
    ck_assert_uint_eq(hw->max_delay, 15);
    ck_assert_int_eq(hw->arith, MYL_ARITH_TRUENORTH);
    ck_fig(hw->tick_period, 1e-3, 'M');
    ck_fig(hw->synapse[0].spike.energy, 26e-12, '?');
    ck_assert_ptr_nonnull(strstr(hw->synapse[0].spike.energy.source, "2.5 pJ"));
    ck_unknown(hw->synapse[0].spike.latency);
    ck_unknown(hw->soma[0].access.energy);
    myl_hw_free(hw);

    /* SpiNNaker 1 (Painkras et al. 2013; Hoeppner et al. 2019) */
    hw = load_ok("spinnaker1");
    ck_assert_uint_eq(hw->cores_per_tile * hw->mesh_w * hw->mesh_h, 18);
    ck_assert_uint_eq(hw->max_neurons, 255);
    ck_assert_uint_eq(hw->weight_bits, 16);
    ck_assert_uint_eq(hw->max_delay, 16);
    ck_assert_int_eq(hw->arith, MYL_ARITH_SPINNAKER);
    ck_near(hw->tick_period.v, 1e-3);
    ck_near(hw->synapse[0].spike.energy.v, 13.3e-9);
    ck_near(hw->soma[0].access.energy.v + hw->soma[0].update.energy.v, 26e-9);
    myl_hw_free(hw);

    /* SpiNNaker 2 (Hoeppner et al. 2019) */
    hw = load_ok("spinnaker2");
    ck_assert_uint_eq(hw->weight_bits, 16);
    ck_assert_uint_eq(hw->max_delay, 16);
    ck_assert_int_eq(hw->arith, MYL_ARITH_SPINNAKER);
    ck_near(hw->tick_period.v, 1e-3);
    ck_near(hw->synapse[0].spike.energy.v, 450e-12);
    ck_near(hw->soma[0].access.energy.v + hw->soma[0].update.energy.v, 2.19e-9);
    myl_hw_free(hw);

    /* ODIN (Frenkel et al. 2019) */
    hw = load_ok("odin");
    ck_assert_uint_eq(hw->cores_per_tile * hw->mesh_w * hw->mesh_h, 1);
    ck_assert_uint_eq(hw->chips_w * hw->chips_h, 1);
    ck_assert_uint_eq(hw->max_neurons, 256);
    ck_assert_uint_eq(hw->max_synapses, 256 * 256);
    ck_assert_uint_eq(hw->weight_bits, 3);
    ck_assert_int_eq(hw->arith, MYL_ARITH_ODIN);
    ck_fig(hw->synapse[0].spike.energy, 12.7e-12, 'M');
    myl_hw_free(hw);

    /* the ideal machine: no limits, nothing costs anything, and every zero says why */
    hw = load_ok("ideal");
    ck_assert_int_eq(hw->arith, MYL_ARITH_FLOAT);
    ck_assert_uint_eq(hw->weight_bits, 0);
    ck_assert(hw->max_neurons == 0 && hw->max_synapses == 0 && hw->syn_mem_bits == 0 &&
              hw->max_fanin == 0 && hw->max_axons_in == 0 && hw->max_axons_out == 0 &&
              hw->max_delay == 0 && hw->max_refractory == 0);
    myl__figref figs[256];
    size_t n = myl__hw_figs(hw, figs, 256);
    ck_assert(n > 20 && n <= 256);
    for (size_t i = 0; i < n; i++) {
        int cap = figs[i].unit == MYL__U_COUNT;
        if ((!cap && figs[i].fig->v != 0) || figs[i].fig->mark != 'D' || !figs[i].fig->source ||
            !strstr(figs[i].fig->source, "defin"))
            ck_abort_msg("ideal: %s = %g [%c] %s", figs[i].name, figs[i].fig->v, figs[i].fig->mark,
                         figs[i].fig->source);
    }
    myl_hw_free(hw);
}
END_TEST

/* Every figure of every shipped model has a mark and a source, or is unknown with a reason. */
START_TEST(test_shipped_all_sourced)
{
    unsetenv("MYELIN_HW_PATH");
    char **names = NULL;
    size_t nn = 0;
    ck_assert_int_eq(myl_hw_names(&names, &nn), 0);
    for (size_t s = 0; s < sizeof shipped / sizeof shipped[0]; s++) {
        int found = 0;
        for (size_t i = 0; i < nn; i++)
            found |= strcmp(names[i], shipped[s]) == 0;
        if (!found)
            ck_abort_msg("myl_hw_names does not list '%s'", shipped[s]);
    }
    for (size_t i = 1; i < nn; i++)
        if (strcmp(names[i - 1], names[i]) >= 0)
            ck_abort_msg("names not sorted: %s, %s", names[i - 1], names[i]);
    size_t total = 0, unknown = 0;
    for (size_t s = 0; s < nn; s++) {
        myl_hw *hw = load_ok(names[s]);
        myl__figref figs[256];
        size_t n = myl__hw_figs(hw, figs, 256);
        if (n > 256)
            ck_abort_msg("%s: %zu figures", names[s], n);
        if (n < 25)
            ck_abort_msg("%s: only %zu figures", names[s], n);
        for (size_t i = 0; i < n; i++) {
            const myl_fig *f = figs[i].fig;
            int marked = f->mark && strchr("MSCV?D", f->mark) && f->source && strlen(f->source) > 3;
            int unk = !f->mark && f->source && strncmp(f->source, "unknown: ", 9) == 0 &&
                      strlen(f->source) > 12;
            if (!marked && !unk)
                ck_abort_msg("%s: %s has no mark and source (mark %d, source %s)", names[s],
                             figs[i].name, f->mark, f->source ? f->source : "(null)");
            if (unk && figs[i].fig != &hw->static_power && !isnan(f->v))
                ck_abort_msg("%s: %s is unknown but has the value %g", names[s], figs[i].name,
                             f->v);
            if (marked && (isnan(f->v) || (f->v < 0 && figs[i].unit != MYL__U_INT)))
                ck_abort_msg("%s: %s = %g", names[s], figs[i].name, f->v);
            total++;
            unknown += unk;
        }
        /* every capacity the model has is a sourced figure */
        const myl__hw *h = myl__hw_priv(hw);
        ck_assert_ptr_nonnull(h);
        if (hw->max_neurons && !h->cap[MYL__CAP_NEURONS].mark)
            ck_abort_msg("%s: neurons per core without a source", names[s]);
        if (hw->cores_per_tile && !h->cap[MYL__CAP_CORES_PER_TILE].mark)
            ck_abort_msg("%s: cores per tile without a source", names[s]);
        myl_hw_free(hw);
    }
    ck_assert(total > 200);
    ck_assert(unknown > 0);
    myl_hw_names_free(names, nn);
}
END_TEST

/* ---- SANA-FE architecture files from the shared sample data ---- */

START_TEST(test_sanafe_shared)
{
    if (!myl_test_have_shared())
        return;
    myl_hw *hw = load_ok(myl_test_src("../shared/data/sanafe/example_chip.yaml"));
    ck_assert_int_eq(hw->sanafe, 1);
    ck_assert_uint_eq(hw->mesh_w, 2);
    ck_assert_uint_eq(hw->mesh_h, 1);
    ck_assert_uint_eq(hw->cores_per_tile, 4);
    ck_assert_uint_eq(hw->max_neurons, 100);
    ck_assert_uint_eq(hw->nsynapse, 1);
    ck_fig(hw->synapse[0].spike.energy, 20e-12, 'C');
    ck_fig(hw->synapse[0].spike.latency, 3e-9, 'C');
    int def = myl_hw_soma_index(hw, "demo_soma_default");
    ck_assert_int_eq(def, 0);
    ck_fig(hw->soma[def].access.energy, 20e-12, 'C');
    ck_fig(hw->soma[def].access.latency, 3e-9, 'C');
    ck_fig(hw->soma[def].update.energy, 10e-12, 'C');
    ck_fig(hw->soma[def].update.latency, 1e-9, 'C');
    ck_fig(hw->soma[def].spike.energy, 60e-12, 'C');
    ck_fig(hw->soma[def].spike.latency, 30e-9, 'C');
    int alt = myl_hw_soma_index(hw, "demo_soma_alt");
    ck_assert_int_eq(alt, 1);
    ck_fig(hw->soma[alt].access.energy, 50e-12, 'C');
    int in = myl_hw_soma_index(hw, "demo_input");
    ck_assert_int_eq(in, 2);
    ck_assert_int_eq(hw->soma[in].input, 1);
    ck_fig(hw->msg_out.energy, 100e-12, 'C');
    ck_fig(hw->msg_out.latency, 5e-9, 'C');
    ck_fig(hw->hop_n.energy, 2.0e-12, 'C');
    ck_fig(hw->hop_n.latency, 1.4e-9, 'C');
    ck_fig(hw->hop_e.energy, 2.5e-12, 'C');
    ck_fig(hw->hop_e.latency, 1.2e-9, 'C');
    ck_fig(hw->hop_s.energy, 2.0e-12, 'C');
    ck_fig(hw->hop_s.latency, 1.5e-9, 'C');
    ck_fig(hw->hop_w.energy, 1.8e-12, 'C');
    ck_fig(hw->hop_w.latency, 2.0e-9, 'C');
    ck_assert_str_eq(hw->hop_w.energy.source, "SANA-FE architecture file example_chip.yaml");
    /* no sync given: 0, marked D, and the warnings say so */
    ck_fig(hw->sync, 0, 'D');
    const myl__hw *h = myl__hw_priv(hw);
    ck_assert_msg(h->warnings && strstr(h->warnings, "latency_sync is not given") &&
                      strstr(h->warnings, "update_every_timestep"),
                  "%s", h->warnings ? h->warnings : "(none)");
    myl_hw_free(hw);

    hw = load_ok(myl_test_src("../shared/data/sanafe/loihi.yaml"));
    ck_assert_uint_eq(hw->mesh_w, 8);
    ck_assert_uint_eq(hw->mesh_h, 4);
    ck_assert_uint_eq(hw->cores_per_tile, 4);
    ck_assert_uint_eq(hw->max_neurons, 1024);
    ck_assert_int_eq(hw->sync_table, 1);
    static const uint32_t tiles[] = {1, 2, 4, 29};
    static const double lat[] = {0.6e-6, 1.0e-6, 1.4e-6, 1.8e-6};
    ck_assert_uint_eq(hw->nsync, 4);
    for (int i = 0; i < 4; i++) {
        if (hw->sync_tiles[i] != tiles[i] || hw->sync_lat[i].v != lat[i] ||
            hw->sync_lat[i].mark != 'C')
            ck_abort_msg("loihi.yaml sync entry %d: %u tiles, %g s", i, hw->sync_tiles[i],
                         hw->sync_lat[i].v);
    }
    ck_assert_uint_eq(hw->nsynapse, 3);
    ck_assert_int_eq(myl_hw_synapse_index(hw, "loihi_sparse_synapse"), 1);
    ck_fig(hw->synapse[0].spike.energy, 35.5e-12, 'C');
    ck_fig(hw->synapse[2].spike.latency, 3.1e-9, 'C');
    ck_fig(hw->soma[0].access.energy, 51.2e-12, 'C');
    ck_fig(hw->soma[0].spike.latency, 30e-9, 'C');
    ck_assert_int_eq(myl_hw_soma_index(hw, "loihi_inputs[17]"), 1);
    ck_assert_int_eq(hw->soma[1].input, 1);
    ck_fig(hw->msg_in.latency, 16e-9, 'C');
    ck_fig(hw->msg_out.energy, 111e-12, 'C');
    ck_fig(hw->hop_n.energy, 4.2e-12, 'C');
    ck_fig(hw->hop_e.energy, 3.0e-12, 'C');
    myl_hw_free(hw);

    hw = load_ok(myl_test_src("../shared/data/sanafe/truenorth.yaml"));
    ck_assert_uint_eq(hw->mesh_w, 64);
    ck_assert_uint_eq(hw->mesh_h, 64);
    ck_assert_uint_eq(hw->cores_per_tile, 1);
    ck_assert_uint_eq(hw->max_neurons, 256);
    ck_assert_int_eq(hw->sync_table, 0);
    ck_fig(hw->sync, 0, 'C');
    ck_fig(hw->synapse[0].spike.energy, 0, 'C');
    h = myl__hw_priv(hw);
    ck_assert_msg(h->warnings && strstr(h->warnings, "model = truenorth"), "%s",
                  h->warnings ? h->warnings : "(none)");
    myl_hw_free(hw);
}
END_TEST

/* ---- finding models ---- */

START_TEST(test_lookup)
{
    myl_hw *hw = NULL;
    myl_diag d = {0};
    unsetenv("MYELIN_HW_PATH");
    ck_assert_int_eq(myl_hw_load(NULL, &hw, &d), MYL_EINVAL);
    ck_assert_int_eq(myl_hw_load("loihi", NULL, &d), MYL_EINVAL);

    /* by name from the source tree */
    hw = load_ok("loihi");
    ck_assert_msg(strstr(hw->path, "hw_models/loihi.yaml"), "%s", hw->path);
    myl_hw_free(hw);

    /* a name nobody has: the message lists the models that exist */
    write_file(myl_test_tmp("mychip.yaml"), good_model);
    hw = NULL;
    myl_diag_clear(&d);
    ck_assert_int_eq(myl_hw_load("mychip", &hw, &d), MYL_ENOTFOUND);
    ck_assert_ptr_null(hw);
    ck_assert_msg(strstr(d.msg, "no hardware model 'mychip'") && strstr(d.msg, "models: ") &&
                      strstr(d.msg, "loihi") && strstr(d.msg, "ideal") &&
                      strstr(d.msg, "truenorth"),
                  "%s", d.msg);

    /* by path */
    hw = load_ok(myl_test_tmp("mychip.yaml"));
    ck_assert_str_eq(hw->name, "mychip");
    myl_hw_free(hw);
    myl_diag_clear(&d);
    ck_assert_int_eq(myl_hw_load(myl_test_tmp("nothere.yaml"), &hw, &d), MYL_ENOTFOUND);
    ck_assert_msg(strstr(d.msg, "cannot open"), "%s", d.msg);

    /* through MYELIN_HW_PATH, which comes first and can shadow a shipped model */
    char env[4200];
    snprintf(env, sizeof env, "/nonexistent/dir::%s", myl_test_tmpdir());
    setenv("MYELIN_HW_PATH", env, 1);
    hw = load_ok("mychip");
    ck_assert_str_eq(hw->description, "test chip");
    myl_hw_free(hw);
    char **names;
    size_t n;
    ck_assert_int_eq(myl_hw_names(&names, &n), 0);
    int have_mine = 0, have_loihi = 0;
    for (size_t i = 0; i < n; i++) {
        have_mine |= strcmp(names[i], "mychip") == 0;
        have_loihi |= strcmp(names[i], "loihi") == 0;
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                ck_abort_msg("'%s' listed twice", names[i]);
    }
    ck_assert(have_mine && have_loihi);
    myl_hw_names_free(names, n);
    write_file(myl_test_tmp("loihi.yaml"), good_model);
    hw = load_ok("loihi");
    ck_assert_str_eq(hw->description, "test chip");
    myl_hw_free(hw);
    remove(myl_test_tmp("loihi.yaml"));
    unsetenv("MYELIN_HW_PATH");
    myl_hw_names_free(NULL, 0);
    myl_hw_free(NULL);
}
END_TEST

/* ---- printing ---- */

static char *capture(const myl_hw *hw, int summary)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    if (summary)
        myl_hw_summary(hw, f);
    else
        myl_hw_describe(hw, f);
    fclose(f);
    return buf;
}

START_TEST(test_print)
{
    unsetenv("MYELIN_HW_PATH");
    myl_hw *hw = load_ok("loihi");
    char *s = capture(hw, 0);
    static const char *const want[] = {"23.6 pJ [S]",
                                       "3.5 ns [S]",
                                       "52 pJ [S]",
                                       "29 pJ [D]",
                                       "128 KiB (1048576 bits) [S]",
                                       "465 ns [S]",
                                       "29 mW [M]",
                                       "Davies",
                                       "Table 1",
                                       "unknown",
                                       "sync, 32 tiles or more",
                                       "Sources",
                                       "weight exponent, lowest"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(s, want[i]))
            ck_abort_msg("describe does not show '%s':\n%s", want[i], s);
    free(s);
    s = capture(hw, 1);
    ck_assert_msg(starts_with(s, "loihi ") && strstr(s, "128 cores") && strstr(s, " loihi ") &&
                      strchr(s, '\n') == s + strlen(s) - 1,
                  "%s", s);
    free(s);
    myl_hw_free(hw);

    hw = load_ok("loihi-sanafe");
    s = capture(hw, 0);
    ck_assert_msg(strstr(s, "1.8 \xc2\xb5s [C]") && strstr(s, "(input)"), "%s", s);
    free(s);
    myl_hw_free(hw);

    /* a struct filled in by hand prints too (without capacity sources) */
    myl_hw plain;
    memset(&plain, 0, sizeof plain);
    plain.cores_per_tile = 1;
    plain.mesh_w = plain.mesh_h = 1;
    s = capture(&plain, 0);
    ck_assert_msg(strstr(s, "(unnamed)") && strstr(s, "no limit"), "%s", s);
    free(s);
    ck_assert_ptr_null(myl__hw_priv(&plain));

    ck_assert_str_eq(myl_arith_name(MYL_ARITH_FLOAT), "float");
    ck_assert_str_eq(myl_arith_name(MYL_ARITH_LOIHI), "loihi");
    ck_assert_str_eq(myl_arith_name(MYL_ARITH_TRUENORTH), "truenorth");
    ck_assert_str_eq(myl_arith_name(MYL_ARITH_SPINNAKER), "spinnaker");
    ck_assert_str_eq(myl_arith_name(MYL_ARITH_ODIN), "odin");
    ck_assert_str_eq(myl_arith_name(MYL_ARITH_COUNT), "unknown");
}
END_TEST

/* ---- allocation failure ---- */

/* Make the n-th allocation of a call fail, for every n, until the call makes fewer. */
static void fail_each(const char *what, int (*call)(void *), void *arg, int expect_ok)
{
    for (long n = 1;; n++) {
        myl_test_fail_after(n);
        int rc = call(arg);
        long made = myl_test_alloc_count();
        myl_test_fail_after(0);
        if (made < n) {
            if (expect_ok && rc != 0)
                ck_abort_msg("%s: %s without any failure injected", what, myl_err_name(rc));
            break;
        }
        if (rc != MYL_ENOMEM)
            ck_abort_msg("%s: allocation %ld failed but the call returned %s", what, n,
                         myl_err_name(rc));
        if (n > 100000)
            ck_abort_msg("%s: no end", what);
    }
}

static int load_call(void *arg)
{
    myl_hw *hw = NULL;
    myl_diag d = {0};
    int rc = myl_hw_load(arg, &hw, &d);
    if (rc == 0) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        myl_hw_describe(hw, f);
        fclose(f);
        free(buf);
    }
    myl_hw_free(hw);
    return rc;
}

static int missing_call(void *arg)
{
    myl_hw *hw = NULL;
    myl_diag d = {0};
    int rc = myl_hw_load(arg, &hw, &d);
    myl_hw_free(hw);
    return rc == MYL_ENOTFOUND ? 0 : rc;
}

static int names_call(void *arg)
{
    (void)arg;
    char **names = NULL;
    size_t n = 0;
    int rc = myl_hw_names(&names, &n);
    myl_hw_names_free(names, n);
    return rc;
}

START_TEST(test_alloc_failure)
{
    unsetenv("MYELIN_HW_PATH");
    const char *model = myl_test_tmp("oom.yaml");
    write_file(model, good_model);
    fail_each("myelin model", load_call, (void *)model, 1);
    const char *arch = myl_test_tmp("oom-sanafe.yaml");
    char *t = subst(good_sanafe, "    height: 1\n", "    height: 1\n    link_buffer_size: 4\n");
    write_file(arch, t);
    free(t);
    fail_each("SANA-FE file", load_call, (void *)arch, 1);
    fail_each("by name", load_call, (void *)"loihi-sanafe", 1);
    fail_each("unknown name", missing_call, (void *)"no-such-chip", 1);
    fail_each("names", names_call, NULL, 1);
}
END_TEST

static Suite *hw_suite(void)
{
    Suite *s = suite_create("hw");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, test_good_model);
    tcase_add_test(tc, test_unknown_static_power_is_zero);
    tcase_add_test(tc, test_docs_example);
    tcase_add_test(tc, test_bad_models);
    suite_add_tcase(s, tc);
    tc = tcase_create("sanafe");
    tcase_add_test(tc, test_good_sanafe);
    tcase_add_test(tc, test_bad_sanafe);
    tcase_add_test(tc, test_sanafe_shared);
    suite_add_tcase(s, tc);
    tc = tcase_create("shipped");
    tcase_add_test(tc, test_shipped_loihi);
    tcase_add_test(tc, test_shipped_loihi_sanafe);
    tcase_add_test(tc, test_shipped_others);
    tcase_add_test(tc, test_shipped_all_sourced);
    suite_add_tcase(s, tc);
    tc = tcase_create("lookup");
    tcase_add_test(tc, test_lookup);
    tcase_add_test(tc, test_print);
    suite_add_tcase(s, tc);
    tc = tcase_create("alloc");
    tcase_add_test(tc, test_alloc_failure);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(hw_suite());
}

/* myelin trace: look into event streams, and convert them. */
#include "cli.h"

#include "myelin/trace.h"
#include "myelin/units.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 65536

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: myelin trace info FILE [--format F] [--sample N]\n"
            "       myelin trace convert IN OUT [--to-format myelin|csv] [--from TIME]\n"
            "                            [--until TIME] [--format F] [--sample N]\n"
            "\n"
            "info     format, sensor size, streams, events, time span, rate, polarities\n"
            "convert  rewrite a stream in myelin's own format (default; .csv: CSV), keeping\n"
            "         the events from --from up to --until, times counted from the first\n"
            "         event (e.g. --from 100ms --until 0.5)\n"
            "\n"
            "Formats are recognised from the file's header; --format F names one (myelin,\n"
            "aedat2, aedat3, aedat4, evt2, evt3, dat, nmnist, shd, csv) for files that have\n"
            "none. --sample picks the sample of an SHD/SSC file (default 0).\n");
}

typedef struct opts {
    myl_trace_opts topts;
    myl_trace_format to;
    double from, until; /* seconds after the first event; until < 0: to the end */
} opts;

static int parse(int argc, char **argv, opts *o, int *first_pos)
{
    static const struct option lo[] = {{"format", required_argument, NULL, 'f'},
                                       {"sample", required_argument, NULL, 's'},
                                       {"to-format", required_argument, NULL, 't'},
                                       {"from", required_argument, NULL, 'F'},
                                       {"until", required_argument, NULL, 'U'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->topts.csv_units = -1;
    o->to = MYL_TRACE_UNKNOWN;
    o->until = -1;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        double v;
        myl_qunit u;
        char why[128];
        switch (c) {
        case 'h':
            usage(stdout);
            return 1;
        case 'f':
            if (myl_trace_format_from_name(optarg, &o->topts.format)) {
                fprintf(stderr, "myelin trace: unknown format '%s'\n", optarg);
                return -1;
            }
            break;
        case 't':
            if (myl_trace_format_from_name(optarg, &o->to) ||
                (o->to != MYL_TRACE_NATIVE && o->to != MYL_TRACE_CSV)) {
                fprintf(stderr, "myelin trace: --to-format wants myelin or csv, not '%s'\n",
                        optarg);
                return -1;
            }
            break;
        case 's': {
            char *end;
            long long n = strtoll(optarg, &end, 10);
            if (*end || n < 0) {
                fprintf(stderr, "myelin trace: --sample wants a number >= 0, not '%s'\n",
                        optarg);
                return -1;
            }
            o->topts.sample = n;
            break;
        }
        case 'F':
        case 'U':
            if (myl_quantity_parse(optarg, MYL_Q_TIME, &v, &u, why) || u == MYL_U_TICKS ||
                v < 0) {
                fprintf(stderr, "myelin trace: --%s wants a time >= 0 (e.g. 0.5 or 200ms), "
                                "not '%s'\n",
                        c == 'F' ? "from" : "until", optarg);
                return -1;
            }
            if (c == 'F')
                o->from = v;
            else
                o->until = v;
            break;
        default:
            fprintf(stderr, "Try 'myelin trace --help'.\n");
            return -1;
        }
    }
    *first_pos = optind;
    return 0;
}

static int info(const char *path, const opts *o)
{
    myl_diag d = {0};
    myl_reader *r;
    int rc = myl_reader_open_file(path, &o->topts, &r, &d);
    if (rc) {
        cli_error(&d, rc, path);
        return cli_exit_code(rc);
    }
    myl_event *ev = malloc(CHUNK * sizeof *ev);
    if (!ev) {
        myl_reader_close(r);
        return EXIT_RUNTIME;
    }
    uint64_t n = 0, on = 0, backwards = 0;
    int64_t t0 = 0, t1 = 0, prev = INT64_MIN;
    uint32_t maxx = 0, maxy = 0;
    size_t got;
    while ((rc = myl_reader_read(r, ev, CHUNK, &got, &d)) == 0 && got) {
        if (!n)
            t0 = ev[0].t;
        for (size_t i = 0; i < got; i++) {
            on += ev[i].p != 0;
            if (ev[i].x > maxx)
                maxx = ev[i].x;
            if (ev[i].y > maxy)
                maxy = ev[i].y;
            if (ev[i].t < prev)
                backwards++;
            prev = ev[i].t;
        }
        t1 = ev[got - 1].t;
        n += got;
    }
    const myl_trace_meta *m = myl_reader_meta(r);
    char a[64], b[64];
    printf("%s\n", path);
    printf("  format      %s%s\n", myl_trace_format_name(m->format),
           m->compressed ? (m->compressed <= 2 ? " (LZ4)" : " (ZSTD)") : "");
    if (m->channels)
        printf("  channels    %u\n", m->channels);
    else if (m->width)
        printf("  sensor      %u x %u\n", m->width, m->height);
    else
        printf("  sensor      not stated (events reach x = %u, y = %u)\n", maxx, maxy);
    if (m->source[0])
        printf("  source      %s\n", m->source);
    if (m->streams[0])
        printf("  streams     %s\n", m->streams);
    if (m->label >= 0)
        printf("  label       %lld%s%s\n", (long long)m->label, m->label_name[0] ? " " : "",
               m->label_name);
    printf("  events      %s\n", cli_num(n, a, sizeof a));
    if (n) {
        double span = (t1 - t0) * 1e-6;
        printf("  time        %lld us to %lld us (%s)\n", (long long)t0, (long long)t1,
               myl_fmt_time(span, b, sizeof b));
        if (span > 0)
            printf("  rate        %.4g events/s\n", n / span);
        printf("  polarity    %.1f%% on, %.1f%% off\n", 100.0 * on / n,
               100.0 * (n - on) / n);
        printf("  extent      x 0..%u, y 0..%u\n", maxx, maxy);
        if (backwards)
            printf("  note        %s events have a timestamp earlier than the one before\n",
                   cli_num(backwards, a, sizeof a));
    }
    free(ev);
    myl_reader_close(r);
    if (rc) {
        cli_error(&d, rc, path);
        return cli_exit_code(rc);
    }
    return EXIT_OK;
}

static int convert(const char *in, const char *out, const opts *o)
{
    myl_diag d = {0};
    myl_reader *r;
    int rc = myl_reader_open_file(in, &o->topts, &r, &d);
    if (rc) {
        cli_error(&d, rc, in);
        return cli_exit_code(rc);
    }
    myl_trace_format to = o->to;
    if (to == MYL_TRACE_UNKNOWN) {
        size_t len = strlen(out);
        to = len > 4 && strcmp(out + len - 4, ".csv") == 0 ? MYL_TRACE_CSV : MYL_TRACE_NATIVE;
    }
    myl_writer *w;
    if ((rc = myl_writer_open(out, to, myl_reader_meta(r), &w, &d))) {
        myl_reader_close(r);
        cli_error(&d, rc, out);
        return cli_exit_code(rc);
    }
    myl_event *ev = malloc(CHUNK * sizeof *ev);
    uint64_t n = 0, kept = 0;
    int64_t t0 = 0;
    size_t got;
    while (ev && (rc = myl_reader_read(r, ev, CHUNK, &got, &d)) == 0 && got) {
        if (!n)
            t0 = ev[0].t;
        n += got;
        size_t k = 0;
        for (size_t i = 0; i < got; i++) {
            double since = (ev[i].t - t0) * 1e-6;
            if (since >= o->from && (o->until < 0 || since < o->until))
                ev[k++] = ev[i];
        }
        if (k && (rc = myl_writer_write(w, ev, k, &d)))
            break;
        kept += k;
    }
    if (!ev)
        rc = MYL_ENOMEM;
    int rc2 = myl_writer_close(w, &d);
    if (!rc)
        rc = rc2;
    myl_reader_close(r);
    free(ev);
    if (rc) {
        cli_error(&d, rc, rc == rc2 ? out : in);
        fprintf(stderr, "myelin trace: %s was not written\n", out);
        return cli_exit_code(rc);
    }
    char a[32], b[32];
    printf("%s -> %s (%s): %s of %s events\n", in, out, myl_trace_format_name(to),
           cli_num(kept, a, sizeof a), cli_num(n, b, sizeof b));
    return EXIT_OK;
}

int cmd_trace(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    opts o;
    int pos;
    int k = parse(argc, argv, &o, &pos);
    if (k)
        return k > 0 ? EXIT_OK : EXIT_USAGE;
    int npos = argc - pos;
    if (strcmp(argv[1], "info") == 0 && npos == 1)
        return info(argv[pos], &o);
    if (strcmp(argv[1], "convert") == 0 && npos == 2)
        return convert(argv[pos], argv[pos + 1], &o);
    usage(stderr);
    return EXIT_USAGE;
}

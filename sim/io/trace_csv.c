/* Events as text (docs/trace-format.md, "CSV"): reader and writer.
 *
 * Two layouts: `t,x,y,p` (a camera) and `t,unit` (a channel stream: x = unit, y = 0, p = 1). An
 * optional header line names the columns, in any order, and picks the time unit: `t` (also
 * `t_us`, `ts`, `timestamp`) is an integer count of microseconds, `t_ms` and `t_s` are decimal
 * milliseconds and seconds (exponents allowed), rounded to the nearest microsecond. Without a
 * header the columns are positional and time is in µs. Blank lines and lines starting with '#'
 * are skipped; a comment `# myelin width=34 height=34 channels=0 label=3` before the first data
 * line carries what a binary header would (the writer puts one there).
 *
 * The reader streams: each line is found with memchr inside the bounded read window and parsed
 * in place, so memory stays at the window whatever the file's size, and a line longer than
 * LINE_MAX_BYTES is an error rather than a reason to grow. Every error names the line, the column
 * number and the column's name. Numbers are parsed by hand: no locale, no strtod rounding.
 */
#include "trace_internal.h"

#include "myelin/alloc.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#define LINE_MAX_BYTES 4096 /* longest line accepted, without its line end */
#define NAME_MAX_BYTES 16   /* longest column name kept for messages */

typedef unsigned long long ull;

enum role { R_T, R_X, R_Y, R_P, R_UNIT, R_COUNT };

static const char *const g_role_name[R_COUNT] = {"t", "x", "y", "p", "unit"};

typedef struct csv_state {
    int ncols;                  /* 2 or 4 */
    uint8_t role[4];            /* what each column holds */
    int texp;                   /* time column: power of ten from its unit to µs (0, 3, 6) */
    int header;                 /* 1 if the file had a header line */
    uint64_t line;              /* lines consumed so far; the next line is line + 1 */
    char tname[NAME_MAX_BYTES]; /* the time column's name, for messages */
} csv_state;

static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static int is_alpha(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Trim blanks (and a trailing '\r') from [*b, *e). */
static void trim(const uint8_t **b, const uint8_t **e)
{
    while (*b < *e && is_blank(**b))
        (*b)++;
    while (*e > *b && (is_blank((*e)[-1]) || (*e)[-1] == '\r'))
        (*e)--;
}

static size_t count_fields(const uint8_t *p, size_t len)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += p[i] == ',';
    return n;
}

/* ---- numbers ---------------------------------------------------------------------------------
 * Each parser takes a trimmed field and returns 0, or a short reason for the message. */

/* Unsigned decimal integer up to max. */
static const char *parse_uint(const uint8_t *b, const uint8_t *e, uint64_t max, uint64_t *out)
{
    if (b == e)
        return "empty field";
    if (*b == '+')
        b++;
    if (b == e)
        return "not a number";
    if (*b == '-') {
        for (const uint8_t *q = b + 1; q < e; q++)
            if (*q < '0' || *q > '9')
                return "not a number";
        return b + 1 < e ? "negative" : "not a number";
    }
    uint64_t v = 0;
    for (; b < e; b++) {
        if (*b < '0' || *b > '9') {
            if (*b == '.' || *b == 'e' || *b == 'E')
                return "not a whole number";
            return "not a number";
        }
        unsigned dg = (unsigned)(*b - '0');
        if (v > (max - dg) / 10)
            return "too large";
        v = v * 10 + dg;
    }
    *out = v;
    return NULL;
}

static uint64_t pow10u(long k)
{
    uint64_t v = 1;
    while (k-- > 0)
        v *= 10;
    return v;
}

/* Non-negative decimal number (digits, optional fraction, optional exponent) times 10^texp,
 * rounded to the nearest integer, halves up; at most INT64_MAX. Exact: up to 19 significant
 * digits are kept, and later ones can only matter for a value too large anyway. */
static const char *parse_decimal(const uint8_t *b, const uint8_t *e, int texp, int64_t *out)
{
    if (b == e)
        return "empty field";
    if (*b == '+')
        b++;
    int neg = b < e && *b == '-';
    if (neg)
        b++;
    uint64_t mant = 0;
    int nsig = 0, ndig = 0;
    int first_drop = -1; /* the first digit not kept in mant */
    long scale = 0;      /* value = (mant + digits not kept) * 10^scale */
    for (; b < e && *b >= '0' && *b <= '9'; b++, ndig++) {
        unsigned dg = (unsigned)(*b - '0');
        if (nsig < 19) {
            nsig += mant || dg;
            mant = mant * 10 + dg;
        } else {
            scale++;
            if (first_drop < 0)
                first_drop = (int)dg;
        }
    }
    if (b < e && *b == '.') {
        for (b++; b < e && *b >= '0' && *b <= '9'; b++, ndig++) {
            unsigned dg = (unsigned)(*b - '0');
            if (nsig < 19) {
                nsig += mant || dg;
                mant = mant * 10 + dg;
                scale--;
            } else if (first_drop < 0) {
                first_drop = (int)dg;
            }
        }
    }
    if (ndig == 0)
        return "not a number";
    long ex = 0;
    if (b < e && (*b == 'e' || *b == 'E')) {
        b++;
        int eneg = b < e && *b == '-';
        if (b < e && (*b == '-' || *b == '+'))
            b++;
        if (b == e)
            return "not a number";
        for (; b < e && *b >= '0' && *b <= '9'; b++)
            if (ex < 100000)
                ex = ex * 10 + (*b - '0');
        ex = eneg ? -ex : ex;
    }
    if (b != e)
        return "not a number";
    if (neg && mant)
        return "negative";
    long p = scale + ex + texp;
    uint64_t v;
    if (mant == 0) {
        v = 0;
    } else if (p >= 0) {
        if (p > 19)
            return "too large";
        if (mant > UINT64_MAX / pow10u(p))
            return "too large";
        v = mant * pow10u(p);
        if (p == 0 && first_drop >= 5)
            v++; /* with p > 0 and digits dropped, v >= 10^19: too large below */
    } else if (p < -19) {
        v = 0;
    } else {
        /* halves up; digits past mant add less than one unit, which cannot lift a remainder
         * below half (d is even) to half */
        uint64_t d = pow10u(-p), r = mant % d;
        v = mant / d + (r >= d - r);
    }
    if (v > (uint64_t)INT64_MAX)
        return "too large";
    *out = (int64_t)v;
    return NULL;
}

/* ---- header ----------------------------------------------------------------------------------
 * Column names are matched without regard to case, after trimming blanks and double quotes. */

static int name_is(const uint8_t *b, size_t n, const char *s)
{
    size_t m = strlen(s);
    if (n != m)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = b[i];
        if (c >= 'A' && c <= 'Z')
            c = (uint8_t)(c - 'A' + 'a');
        if (c != (uint8_t)s[i])
            return 0;
    }
    return 1;
}

/* Role and time exponent of a column name; -1 if unknown. */
static int role_of(const uint8_t *b, size_t n, int *texp)
{
    static const struct {
        const char *name;
        int role, texp;
    } names[] = {
        {"t", R_T, 0},         {"t_us", R_T, 0},     {"ts", R_T, 0},      {"timestamp", R_T, 0},
        {"t_ms", R_T, 3},      {"t_s", R_T, 6},      {"x", R_X, 0},       {"y", R_Y, 0},
        {"p", R_P, 0},         {"polarity", R_P, 0}, {"unit", R_UNIT, 0}, {"channel", R_UNIT, 0},
        {"neuron", R_UNIT, 0},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (name_is(b, n, names[i].name)) {
            *texp = names[i].texp;
            return names[i].role;
        }
    return -1;
}

/* Parse a header line into s. name/line for messages; d may be NULL (the probe). */
static int parse_header(csv_state *s, const uint8_t *p, size_t len, const char *name, uint64_t line,
                        myl_diag *d)
{
    const uint8_t *end = p + len;
    int seen[R_COUNT] = {0};
    int col = 0;
    size_t nf = count_fields(p, len);
    if (nf != 2 && nf != 4)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: line %llu: header has %zu columns; expected 4 (t,x,y,p) or "
                             "2 (t,unit)",
                             name, (ull)line, nf);
    for (;;) {
        const uint8_t *fb = p;
        while (p < end && *p != ',')
            p++;
        const uint8_t *fe = p;
        trim(&fb, &fe);
        if (fe - fb >= 2 && *fb == '"' && fe[-1] == '"')
            fb++, fe--;
        int texp = 0;
        int r = role_of(fb, (size_t)(fe - fb), &texp);
        if (r < 0 || seen[r] || (nf == 2 && r != R_T && r != R_UNIT) || (nf == 4 && r == R_UNIT)) {
            int n = (int)(fe - fb > 32 ? 32 : fe - fb);
            if (r >= 0 && seen[r])
                return myl_diag_fail(
                    d, MYL_EPARSE, "%s: line %llu, column %d: a second %s column '%.*s'", name,
                    (ull)line, col + 1, r == R_T ? "time" : g_role_name[r], n, (const char *)fb);
            return myl_diag_fail(
                d, MYL_EPARSE,
                "%s: line %llu, column %d: unknown column '%.*s' in a %zu-column header "
                "(expected %s)",
                name, (ull)line, col + 1, n, (const char *)fb, nf,
                nf == 4 ? "t (or t_us, ts, timestamp, t_ms, t_s), x, y, p (or polarity)"
                        : "t (or t_us, ts, timestamp, t_ms, t_s) and unit (or channel, neuron)");
        }
        seen[r] = 1;
        s->role[col] = (uint8_t)r;
        if (r == R_T) {
            s->texp = texp;
            size_t n =
                (size_t)(fe - fb) < NAME_MAX_BYTES - 1 ? (size_t)(fe - fb) : NAME_MAX_BYTES - 1;
            memcpy(s->tname, fb, n);
            s->tname[n] = '\0';
        }
        col++;
        if (p == end)
            break;
        p++;
    }
    if (!seen[R_T])
        return myl_diag_fail(d, MYL_EPARSE, "%s: line %llu: header has no time column", name,
                             (ull)line);
    s->ncols = col;
    s->header = 1;
    return 0;
}

/* Positional layout for a file without a header. */
static void default_layout(csv_state *s, int ncols)
{
    static const uint8_t four[4] = {R_T, R_X, R_Y, R_P}, two[2] = {R_T, R_UNIT};
    s->ncols = ncols;
    memcpy(s->role, ncols == 2 ? two : four, (size_t)ncols);
    s->texp = 0;
    strcpy(s->tname, "t");
}

/* `# myelin key=value ...`: width, height, channels, label. Other keys are ignored. */
static int parse_directive(const uint8_t *p, size_t len, myl_trace_meta *meta, const char *name,
                           uint64_t line, myl_diag *d)
{
    const uint8_t *end = p + len;
    p++; /* '#' */
    while (p < end && is_blank(*p))
        p++;
    if ((size_t)(end - p) < 7 || memcmp(p, "myelin", 6) != 0 || !is_blank(p[6]))
        return 0;
    p += 7;
    while (p < end) {
        while (p < end && (is_blank(*p) || *p == '\r'))
            p++;
        const uint8_t *kb = p;
        while (p < end && *p != '=' && !is_blank(*p))
            p++;
        const uint8_t *ke = p;
        if (p >= end || *p != '=')
            continue;
        const uint8_t *vb = ++p;
        while (p < end && !is_blank(*p) && *p != '\r')
            p++;
        size_t kn = (size_t)(ke - kb);
        uint64_t v = 0;
        const char *why = NULL;
        int neg = vb < p && *vb == '-';
        if (name_is(kb, kn, "width") || name_is(kb, kn, "height") || name_is(kb, kn, "channels")) {
            why = parse_uint(vb, p, UINT32_MAX, &v);
            if (!why)
                *(name_is(kb, kn, "width")    ? &meta->width
                  : name_is(kb, kn, "height") ? &meta->height
                                              : &meta->channels) = (uint32_t)v;
        } else if (name_is(kb, kn, "label")) {
            why = parse_uint(vb + neg, p, INT64_MAX, &v);
            if (!why)
                meta->label = neg ? -(int64_t)v : (int64_t)v;
        }
        if (why)
            return myl_diag_fail(d, MYL_EPARSE, "%s: line %llu: '%.*s' in the myelin comment: %s",
                                 name, (ull)line, (int)(p - kb > 40 ? 40 : p - kb),
                                 (const char *)kb, why);
    }
    return 0;
}

/* ---- reading lines ---------------------------------------------------------------------------
 * next_line finds the next line in the window: *len bytes at in->p, the line end excluded (a
 * '\r' before it stays; trim removes it), *adv bytes to consume. Returns 1 with a line, 0 at
 * the end of the stream, 2 if the window holds no whole line and !may_wait, or an error. */

static int next_line(myl_in *in, int may_wait, uint64_t lineno, size_t *len, size_t *adv,
                     myl_diag *d)
{
    for (;;) {
        size_t avail = (size_t)(in->end - in->p);
        size_t look = avail < LINE_MAX_BYTES + 1 ? avail : LINE_MAX_BYTES + 1;
        const uint8_t *nl = memchr(in->p, '\n', look);
        if (nl) {
            *len = (size_t)(nl - in->p);
            *adv = *len + 1;
            return 1;
        }
        if (avail > LINE_MAX_BYTES)
            return myl_diag_fail(d, MYL_EPARSE,
                                 "%s: line %llu: longer than %d bytes (is this a text file?)",
                                 in->src->name, (ull)lineno, LINE_MAX_BYTES);
        if (in->eof) {
            *len = *adv = avail;
            return avail ? 1 : 0;
        }
        if (!may_wait)
            return 2;
        int rc = myl_in_need(in, avail + 1, d);
        if (rc)
            return rc;
    }
}

static int parse_line(const csv_state *s, const uint8_t *p, size_t len, const char *name,
                      myl_event *e, myl_diag *d)
{
    const uint8_t *end = p + len;
    uint64_t line = s->line + 1;
    myl_event v = {.p = 1};
    size_t nf = count_fields(p, len);
    if (nf != (size_t)s->ncols)
        return myl_diag_fail(d, MYL_EPARSE, "%s: line %llu: %zu columns; expected %d (%s)", name,
                             (ull)line, nf, s->ncols, s->ncols == 4 ? "t,x,y,p" : "t,unit");
    for (int col = 0; col < s->ncols; col++) {
        const uint8_t *fb = p;
        while (p < end && *p != ',')
            p++;
        const uint8_t *fe = p;
        trim(&fb, &fe);
        const char *why = NULL;
        uint64_t u = 0;
        int r = s->role[col];
        switch (r) {
        case R_T:
            if (s->texp == 0) {
                why = parse_uint(fb, fe, INT64_MAX, &u);
                v.t = (int64_t)u;
            } else {
                why = parse_decimal(fb, fe, s->texp, &v.t);
            }
            break;
        case R_X:
        case R_Y:
        case R_UNIT:
            why = parse_uint(fb, fe, UINT16_MAX, &u);
            if (r == R_Y)
                v.y = (uint16_t)u;
            else
                v.x = (uint16_t)u;
            break;
        case R_P:
            if (fe - fb == 1 && (*fb == '0' || *fb == '1'))
                v.p = (uint8_t)(*fb - '0');
            else if (fe - fb == 2 && fb[0] == '-' && fb[1] == '1')
                v.p = 0;
            else if (fe - fb == 2 && fb[0] == '+' && fb[1] == '1')
                v.p = 1;
            else
                why = fb == fe ? "empty field" : "polarity must be 0, 1 or -1";
            break;
        }
        if (why) {
            const char *what = r == R_T ? s->tname : g_role_name[r];
            int n = (int)(fe - fb > 24 ? 24 : fe - fb);
            if (!strcmp(why, "too large") && r != R_T)
                return myl_diag_fail(d, MYL_EPARSE,
                                     "%s: line %llu, column %d (%s): '%.*s' is over 65535", name,
                                     (ull)line, col + 1, what, n, (const char *)fb);
            if (!strcmp(why, "not a whole number") && r == R_T)
                return myl_diag_fail(d, MYL_EPARSE,
                                     "%s: line %llu, column %d (%s): '%.*s' is not a whole "
                                     "number of microseconds (a header t_s or t_ms reads "
                                     "seconds or milliseconds)",
                                     name, (ull)line, col + 1, what, n, (const char *)fb);
            if (!strcmp(why, "negative") && r == R_T)
                why = "negative time";
            return myl_diag_fail(d, MYL_EPARSE, "%s: line %llu, column %d (%s): '%.*s': %s", name,
                                 (ull)line, col + 1, what, n, (const char *)fb, why);
        }
        if (p < end)
            p++; /* past the comma */
    }
    *e = v;
    return 0;
}

/* ---- reader ---------------------------------------------------------------------------------- */

/* Is the line at p (trimmed start) blank or a comment? */
static int skippable(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len && (is_blank(p[i]) || p[i] == '\r'))
        i++;
    return i == len || p[i] == '#';
}

static int csv_open(void *stv, myl_in *in, const myl_trace_opts *o, myl_trace_meta *meta,
                    myl_diag *d)
{
    csv_state *s = stv;
    const char *name = in->src->name;
    int want = o ? o->csv_units : -1; /* 1: t,unit; 0: t,x,y,p; -1: either */
    int rc = myl_in_need(in, 3, d);
    if (rc)
        return rc;
    if (in->end - in->p >= 3 && memcmp(in->p, "\xEF\xBB\xBF", 3) == 0)
        in->p += 3; /* UTF-8 byte-order mark */
    for (;;) {
        size_t len = 0, adv = 0;
        rc = next_line(in, 1, s->line + 1, &len, &adv, d);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break; /* no data lines */
        const uint8_t *p = in->p;
        size_t i = 0;
        while (i < len && is_blank(p[i]))
            i++;
        if (skippable(p, len)) {
            if (i < len && p[i] == '#' && !s->header &&
                (rc = parse_directive(p + i, len - i, meta, name, s->line + 1, d)))
                return rc;
        } else if (!s->header && (is_alpha(p[i]) || p[i] == '"')) {
            if ((rc = parse_header(s, p, len, name, s->line + 1, d)))
                return rc;
        } else {
            if (!s->header) {
                size_t nf = count_fields(p, len);
                if (nf != 2 && nf != 4)
                    return myl_diag_fail(d, MYL_EPARSE,
                                         "%s: line %llu: %zu columns; expected 4 (t,x,y,p) or 2 "
                                         "(t,unit)",
                                         name, (ull)(s->line + 1), nf);
                default_layout(s, (int)nf);
            }
            break; /* the first data line stays for read */
        }
        in->p += adv;
        s->line++;
    }
    if (!s->ncols)
        default_layout(s, want == 1 ? 2 : 4);
    if (want >= 0 && (want == 1) != (s->ncols == 2))
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: line %llu: the file has %d columns (%s), but %s was asked "
                             "for (csv_units %d; -1 detects)",
                             name, (ull)(s->line + 1), s->ncols,
                             s->ncols == 2 ? "t,unit" : "t,x,y,p", want == 1 ? "t,unit" : "t,x,y,p",
                             want);
    return 0;
}

static int csv_read(void *stv, myl_in *in, myl_event *ev, size_t cap, size_t *n, myl_diag *d)
{
    csv_state *s = stv;
    size_t k = 0;
    while (k < cap) {
        /* With events parsed, a bad line is reported by the next call, so that the events
         * before it are delivered first: parse quietly, and on failure leave the line unread. */
        size_t len = 0, adv = 0;
        int rc = next_line(in, k == 0, s->line + 1, &len, &adv, k ? NULL : d);
        if (rc < 0 && !k)
            return rc;
        if (rc != 1)
            break;
        const uint8_t *p = in->p;
        if (!skippable(p, len)) {
            if ((rc = parse_line(s, p, len, in->src->name, &ev[k], k ? NULL : d))) {
                if (!k)
                    return rc;
                break;
            }
            k++;
        }
        in->p += adv;
        s->line++;
    }
    *n = k;
    return 0;
}

/* Text whose first meaningful line is a valid header, or a data line of 2 or 4 fields of
 * number characters: 1 (text is never certain). Anything with control bytes: 0. */
static int csv_probe(const uint8_t *head, size_t n)
{
    size_t i = 0;
    if (n >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n) {
        const uint8_t *nl = memchr(head + i, '\n', n - i);
        if (!nl)
            return 0; /* no whole line to judge */
        const uint8_t *p = head + i;
        size_t len = (size_t)(nl - p);
        i += len + 1;
        for (size_t j = 0; j < len; j++)
            if ((p[j] < 0x20 && p[j] != '\t' && p[j] != '\r') || p[j] == 0x7f)
                return 0;
        if (skippable(p, len))
            continue;
        size_t j = 0;
        while (j < len && is_blank(p[j]))
            j++;
        if (is_alpha(p[j]) || p[j] == '"') {
            csv_state s;
            memset(&s, 0, sizeof s);
            return parse_header(&s, p, len, "", 0, NULL) == 0;
        }
        size_t nf = count_fields(p, len);
        if (nf != 2 && nf != 4)
            return 0;
        int digits = 0;
        for (j = 0; j < len; j++) {
            uint8_t c = p[j];
            if (c >= '0' && c <= '9')
                digits++;
            else if (!strchr(",.-+eE \t\r", c))
                return 0;
        }
        return digits >= (int)nf;
    }
    return 0;
}

const myl_reader_ops myl__csv_ops = {
    .format = MYL_TRACE_CSV,
    .name = "csv",
    .state_size = sizeof(csv_state),
    .probe = csv_probe,
    .open = csv_open,
    .read = csv_read,
    .close = NULL,
};

/* ---- writer ---------------------------------------------------------------------------------- */

#define WBUF (64u << 10)

typedef struct csv_writer {
    char *buf;
    size_t used;
    uint64_t count;
    const char *path;
} csv_writer;

static int wflush(csv_writer *w, FILE *f, myl_diag *d)
{
    if (w->used && fwrite(w->buf, 1, w->used, f) != w->used)
        return myl_diag_fail(d, MYL_EIO, "%s: write error: %s", w->path, strerror(errno));
    w->used = 0;
    return 0;
}

/* Decimal digits of v at p; returns the length. */
static size_t fmt_u64(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

static int csv_wopen(void *st, FILE *f, const char *path, const myl_trace_meta *m, myl_diag *d)
{
    csv_writer *w = st;
    (void)f, (void)d; /* nothing reaches the file before the first flush */
    w->path = path;
    if (!(w->buf = myl_malloc(WBUF)))
        return MYL_ENOMEM;
    int n = 0;
    if (m->width || m->height || m->channels || m->label >= 0)
        n = snprintf(w->buf, WBUF, "# myelin width=%u height=%u channels=%u label=%lld\n",
                     (unsigned)m->width, (unsigned)m->height, (unsigned)m->channels,
                     (long long)m->label);
    n += snprintf(w->buf + n, WBUF - (size_t)n, "t,x,y,p\n");
    w->used = (size_t)n;
    return 0;
}

static int csv_wwrite(void *st, FILE *f, const myl_event *ev, size_t n, myl_diag *d)
{
    csv_writer *w = st;
    if (!w->buf)
        return MYL_ESTATE;
    if (n && !ev)
        return MYL_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].t < 0)
            return myl_diag_fail(d, MYL_ERANGE,
                                 "%s: event %llu: time %lld µs is negative, which CSV cannot "
                                 "carry (myelin's native format can)",
                                 w->path, (ull)(w->count + i), (long long)ev[i].t);
        if (WBUF - w->used < 48) {
            int rc = wflush(w, f, d);
            if (rc)
                return rc;
        }
        char *p = w->buf + w->used;
        p += fmt_u64(p, (uint64_t)ev[i].t);
        *p++ = ',';
        p += fmt_u64(p, ev[i].x);
        *p++ = ',';
        p += fmt_u64(p, ev[i].y);
        *p++ = ',';
        *p++ = ev[i].p ? '1' : '0';
        *p++ = '\n';
        w->used = (size_t)(p - w->buf);
    }
    w->count += n;
    return 0;
}

static int csv_wclose(void *st, FILE *f, myl_diag *d)
{
    csv_writer *w = st;
    int rc = w->buf ? wflush(w, f, d) : 0;
    myl_free(w->buf);
    w->buf = NULL;
    return rc;
}

const myl__writer_ops myl__csv_writer_ops = {
    .state_size = sizeof(csv_writer),
    .open = csv_wopen,
    .write = csv_wwrite,
    .close = csv_wclose,
};

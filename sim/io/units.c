/* Quantity parsing (see units.h). A number is parsed with strtod and must be followed only by
 * optional spaces and a unit from the list for its kind. */
#include "myelin/units.h"

#include "myelin/err.h"
#include "myelin/net.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct unit_def {
    const char *name;
    myl_qkind kind;
    double scale;
    myl_qunit unit;
} unit_def;

static const unit_def g_units[] = {
    {"s", MYL_Q_TIME, 1.0, MYL_U_SI},
    {"ms", MYL_Q_TIME, 1e-3, MYL_U_SI},
    {"us", MYL_Q_TIME, 1e-6, MYL_U_SI},
    {"\xc2\xb5s", MYL_Q_TIME, 1e-6, MYL_U_SI}, /* µs, micro sign */
    {"\xce\xbcs", MYL_Q_TIME, 1e-6, MYL_U_SI}, /* μs, Greek mu */
    {"ns", MYL_Q_TIME, 1e-9, MYL_U_SI},
    {"tick", MYL_Q_TIME, 1.0, MYL_U_TICKS},
    {"ticks", MYL_Q_TIME, 1.0, MYL_U_TICKS},
    {"Hz", MYL_Q_RATE, 1.0, MYL_U_SI},
    {"kHz", MYL_Q_RATE, 1e3, MYL_U_SI},
    {"MHz", MYL_Q_RATE, 1e6, MYL_U_SI},
    {"mV", MYL_Q_VOLT, 1.0, MYL_U_SI},
};

static const char *kind_units(myl_qkind k)
{
    switch (k) {
    case MYL_Q_TIME:
        return "s, ms, us or ns (or ticks, where ticks are allowed)";
    case MYL_Q_RATE:
        return "Hz, kHz or MHz";
    case MYL_Q_VOLT:
        return "mV (or none)";
    default:
        return "none";
    }
}

int myl_quantity_parse(const char *s, myl_qkind k, double *value, myl_qunit *unit, char *why)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s) {
        if (why)
            snprintf(why, 128, "expected a number, found nothing");
        return MYL_EPARSE;
    }
    double x = strtod(s, &end);
    if (end == s || !isfinite(x)) {
        if (why)
            snprintf(why, 128, "'%.60s' is not a finite number", s);
        return MYL_EPARSE;
    }
    while (isspace((unsigned char)*end))
        end++;
    if (!*end) {
        *value = x;
        if (unit)
            *unit = MYL_U_NONE;
        return 0;
    }
    size_t len = strlen(end);
    while (len && isspace((unsigned char)end[len - 1]))
        len--;
    for (size_t i = 0; i < sizeof g_units / sizeof g_units[0]; i++) {
        if (g_units[i].kind == k && strlen(g_units[i].name) == len &&
            strncmp(end, g_units[i].name, len) == 0) {
            *value = x * g_units[i].scale;
            if (unit)
                *unit = g_units[i].unit;
            return 0;
        }
    }
    if (why)
        snprintf(why, 128, "unit '%.*s' is not one of: %s", (int)(len > 20 ? 20 : len), end,
                 kind_units(k));
    return MYL_EPARSE;
}

static double snap(double x)
{
    double r = round(x);
    return fabs(x - r) <= 1e-9 * (fabs(x) > 1 ? fabs(x) : 1) ? r : x;
}

double myl_ticks_round(double seconds, double dt)
{
    return myl_round_ticks(seconds / dt);
}

double myl_ticks_floor(double seconds, double dt)
{
    return floor(snap(seconds / dt));
}

const char *myl_fmt_time(double s, char *buf, int size)
{
    double a = fabs(s);
    if (a == 0)
        snprintf(buf, size, "0 s");
    else if (a >= 1)
        snprintf(buf, size, "%.4g s", s);
    else if (a >= 1e-3)
        snprintf(buf, size, "%.4g ms", s * 1e3);
    else if (a >= 1e-6)
        snprintf(buf, size, "%.4g us", s * 1e6);
    else
        snprintf(buf, size, "%.4g ns", s * 1e9);
    return buf;
}

/* Quantities with units, as written in network files and on the command line.
 *
 * "20 ms", "0.1ms", "1.5e-3 s", "100 us", "100 µs", "20 kHz", "-50 mV", "15 ticks", "15".
 * Times come back in seconds, rates in Hz. A plain number carries no unit: what it means
 * (seconds, ticks, Hz, membrane units) is decided by the caller, which says so in its docs.
 */
#ifndef MYELIN_UNITS_H
#define MYELIN_UNITS_H

typedef enum myl_qkind {
    MYL_Q_TIME,  /* s, ms, us, µs, ns; or ticks */
    MYL_Q_RATE,  /* Hz, kHz, MHz */
    MYL_Q_VOLT,  /* mV, accepted as a label: voltages are in the network's membrane unit */
    MYL_Q_PLAIN, /* no unit allowed */
} myl_qkind;

typedef enum myl_qunit {
    MYL_U_NONE,  /* plain number */
    MYL_U_SI,    /* converted to seconds / Hz / membrane unit */
    MYL_U_TICKS, /* "N ticks" */
} myl_qunit;

/* Parse s as a quantity of kind k. On success *value holds the number in base units and *unit
 * says how it was written. Returns MYL_EPARSE for text that is not a number with an allowed
 * unit; `why` (if not NULL, size >= 128) then says what was wrong. */
int myl_quantity_parse(const char *s, myl_qkind k, double *value, myl_qunit *unit, char *why);

/* x / dt as a whole number of ticks, rounded to the nearest tick (halves away from zero), after
 * snapping values within 1e-9 of an integer (so 1.5 ms / 0.1 ms is 15, not 14.999...). */
double myl_ticks_round(double seconds, double dt);
/* The tick that contains time `seconds`: floor(seconds / dt) with the same snapping. */
double myl_ticks_floor(double seconds, double dt);

/* Format a duration in seconds for people: "1.5 ms", "2 s", "120 ns". */
const char *myl_fmt_time(double seconds, char *buf, int size);

#endif

/* libgeo.so: the library examples/sffi.toml configures for src/ffi/geo.spl. */
#include <stdint.h>

double geo_core_hypot(double dx, double dy); /* from libgeo_core.so */

double geo_distance(double x1, double y1, double x2, double y2) {
    return geo_core_hypot(x2 - x1, y2 - y1);
}

/* Spelled "geo_length": the declaration's "geo_lenght" is a near miss. */
double geo_length(double x, double y) { return geo_core_hypot(x, y); }

/* Takes two 64-bit integers: a Simple `i32` factor does not match. */
int64_t geo_scale(int64_t value, int64_t factor) { return value * factor; }

/* Data, not a function: declaring it `extern fn` would call into a table of doubles. */
const double geo_unit_table[4] = {1.0, 1000.0, 0.3048, 1609.344};

/* libgeo_core.so: a dependency of libgeo.so (DT_NEEDED).
 *
 * The Simple project configures only libgeo.so. dlsym() on libgeo.so's handle
 * still finds these functions, because it searches the whole dependency tree;
 * a linker given -lgeo would not. sffi-check reports such an extern as
 * "provided only through a dependency". */
#include <math.h>
#include <stdint.h>

int64_t geo_core_version(void) { return 3; }

double geo_core_hypot(double dx, double dy) { return sqrt(dx * dx + dy * dy); }

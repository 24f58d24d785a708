/* Tier 1 of the clock wrapper (see clock.wrapper_spec). */
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

bool rt_clock_available(void) { return true; }
/* `-> text` result: one i64 handle under the `native` ABI profile */
int64_t rt_clock_version(void) { return 1; }

int64_t rt_clock_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rt_clock_timer_start(int64_t label_id) { return rt_clock_now_ms() ^ label_id; }
int64_t rt_clock_timer_elapsed_ms(int64_t handle) { return rt_clock_now_ms() - handle; }
void rt_clock_timer_drop(int64_t handle) { (void)handle; }

/* libaudio.so: a plugin the manifest (plugins/manifest.sdn) registers.
 * The manifest also lists rt_audio_set_volume, which this library does not
 * export: sffi-check reports the manifest entry. */
#include <stdint.h>

static int64_t next_handle = 1;

int64_t rt_audio_open(const uint8_t *device, uint64_t device_len) {
    (void)device;
    return device_len ? next_handle++ : 0;
}

void rt_audio_close(int64_t handle) { (void)handle; }

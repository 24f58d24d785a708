/* libspl_json.so: a satellite library. The runtime serves every `rt_json_*`
 * extern from libspl_<prefix>.so found in $SIMPLE_SFFI_PATH (default build/).
 *
 * Native runtime ABI: a `text` parameter arrives as (pointer, length); the
 * document itself is an int64_t handle. A toy: it only finds `"key": <int>`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct { char *text; uint64_t len; } JsonDoc;

int64_t rt_json_parse(const uint8_t *src, uint64_t len) {
    JsonDoc *doc = malloc(sizeof *doc);
    if (!doc) return 0;
    doc->text = malloc(len + 1);
    if (!doc->text) { free(doc); return 0; }
    memcpy(doc->text, src, len);
    doc->text[len] = '\0';
    doc->len = len;
    return (int64_t)(intptr_t)doc;
}

int64_t rt_json_get_int(int64_t handle, const uint8_t *key, uint64_t key_len) {
    JsonDoc *doc = (JsonDoc *)(intptr_t)handle;
    if (!doc || key_len == 0) return 0;
    for (char *p = doc->text; (p = strchr(p, '"')) != NULL; p++) {
        if (strncmp(p + 1, (const char *)key, key_len) == 0 && p[1 + key_len] == '"') {
            char *colon = strchr(p + 1 + key_len, ':');
            return colon ? strtoll(colon + 1, NULL, 10) : 0;
        }
    }
    return 0;
}

void rt_json_free(int64_t handle) {
    JsonDoc *doc = (JsonDoc *)(intptr_t)handle;
    if (doc) { free(doc->text); free(doc); }
}

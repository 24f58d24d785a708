/* string helpers every port links */
#include <stddef.h>
static size_t count_until(const char *s, char stop) { size_t n = 0; while (s[n] && s[n] != stop) n++; return n; }
size_t k_strlen(const char *s) { return count_until(s, 0); }
void *k_memcpy(void *d, const void *s, size_t n) { char *o = d; const char *i = s; while (n--) *o++ = *i++; return d; }
int k_strcmp(const char *a, const char *b) { while (*a && *a == *b) { a++; b++; } return *a - *b; }

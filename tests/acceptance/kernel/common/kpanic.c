/* panic: a weak hook a board may override, and a message buffer */
extern int serial_write(const char *s, int n);
extern unsigned long k_strlen(const char *s);
char k_panic_message[128];
int k_panic_count;
__attribute__((weak)) void k_panic_hook(int code) { (void)code; }
void k_panic(const char *why) { k_panic_count++; k_panic_hook(1); serial_write(why, (int)k_strlen(why)); for (;;) {} }

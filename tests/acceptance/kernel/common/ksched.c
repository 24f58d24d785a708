/* scheduler entry points; calls into the port's context switch */
extern void arch_context_switch(void *from, void *to);
extern void k_panic(const char *why);
void *k_current_task;
void k_yield(void) { arch_context_switch(k_current_task, k_current_task); }
void k_sched_fail(void) { k_panic("sched"); }

	.text
	.globl k_strlen
	.type k_strlen, %function
k_strlen:
	{RET}
	.globl k_panic
	.type k_panic, %function
k_panic:
	{RET}
	.globl k_yield
	.type k_yield, %function
k_yield:
	{RET}
	.data
	.globl klog_level
	.type klog_level, %object
	.size klog_level, 4
klog_level:
	.long 2

	.text
	.globl arch_context_switch
	.type arch_context_switch, %function
arch_context_switch:
	{RET}
	.globl rt_context_save
	.type rt_context_save, %function
rt_context_save:
	{RET}
	.type context_scratch, %function
context_scratch:
	{RET}
	.data
	.dc.a context_scratch
	.dc.a rt_fpu_save_area

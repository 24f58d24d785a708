	.text
	.globl rt_fpu_init
	.type rt_fpu_init, %function
rt_fpu_init:
	{RET}
	.data
	.globl rt_fpu_save_area
	.type rt_fpu_save_area, %object
	.size rt_fpu_save_area, 8
rt_fpu_save_area:
	.dc.a 0

	.text
	.globl k_clock_ticks
	.type k_clock_ticks, %function
k_clock_ticks:
	{RET}
	.globl rt_timer_arm
	.type rt_timer_arm, %function
rt_timer_arm:
	{RET}
	.data
	.dc.a k_irq_ack

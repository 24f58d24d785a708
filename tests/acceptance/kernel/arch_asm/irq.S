	.text
	.globl k_irq_ack
	.type k_irq_ack, %function
k_irq_ack:
	{RET}
	.globl rt_irq_enable
	.type rt_irq_enable, %function
rt_irq_enable:
	{RET}
	.comm rt_irq_table, 64, 8

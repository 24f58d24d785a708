	.text
	.globl serial_write
	.type serial_write, %function
serial_write:
	{RET}
	.globl serial_putc
	.type serial_putc, %function
serial_putc:
	{RET}
	.globl rt_port_outb
rt_port_outb:
	{RET}
	.weak rt_port_inb
	.type rt_port_inb, %function
rt_port_inb:
	{RET}
	.data
	.globl rt_uart_base
	.type rt_uart_base, %object
	.size rt_uart_base, 8
rt_uart_base:
	.dc.a 0

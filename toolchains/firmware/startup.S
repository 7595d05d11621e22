/* xbuild's default startup for the bare-metal targets of toolchains/firmware/: the vector table
 * that QEMU's Cortex-M reset reads and a reset handler that starts newlib's C runtime.
 *
 * xbuild compiles this file once per target into <state dir>/firmware/<target>/startup.o with
 * the target's cflags and -DXBUILD_STACK_TOP=<the target's stack_top>, and links that object
 * into every executable through LDFLAGS and the generated CMake and Meson files. A project that
 * brings its own table says so in xbuild.toml: [firmware] startup = "path/to/startup.c", or
 * startup = false.
 *
 * Reset: on a build that uses the FPU (__ARM_FP: -mfloat-abi=hard or softfp) the handler grants
 * full access to CP10 and CP11 (CPACR |= 0xF << 20) and waits for it to take effect (DSB, ISB)
 * before anything can run an FP instruction; then it copies .data from flash when the linker
 * script loads it elsewhere than it runs (_sidata != _sdata, up to _edata: a board's flash
 * image), since newlib's _start does not; then it jumps to _start (rdimon.specs), which sets
 * up semihosting, the stack and the heap, calls main and passes its return value to exit, so
 * that it becomes QEMU's exit status. The handler is assembly so that no FP instruction can
 * come before the CPACR write.
 *
 * Faults: every other exception prints its number and the interrupted PC through semihosting
 * ("xbuild startup: unhandled exception 3 (HardFault) at pc=0x00008124") and exits with status
 * 134, so a crashing test fails at once instead of spinning until its timeout.
 *
 * Names start with __xbuild_ so that they cannot collide with a project's own. The code is
 * Thumb-1 (ARMv6-M) so that one file serves every Cortex-M. */

#ifndef XBUILD_STACK_TOP
#error "compile with -DXBUILD_STACK_TOP=<the initial stack pointer of the target's RAM>"
#endif

    .syntax unified
    .thumb

    .section .vectors, "a"
    .align 2
    .global __xbuild_vectors
    .type __xbuild_vectors, %object
__xbuild_vectors:
    .word XBUILD_STACK_TOP          /* initial SP: replaced by _start with what semihosting says */
    .word __xbuild_reset            /* 1 reset */
    .word __xbuild_nmi              /* 2 NMI */
    .word __xbuild_hard_fault       /* 3 HardFault */
    .word __xbuild_mem_manage       /* 4 MemManage */
    .word __xbuild_bus_fault        /* 5 BusFault */
    .word __xbuild_usage_fault      /* 6 UsageFault */
    .word __xbuild_secure_fault     /* 7 SecureFault (ARMv8-M) */
    .word 0, 0, 0                   /* 8-10 reserved */
    .word __xbuild_svcall           /* 11 SVCall */
    .word __xbuild_debug_monitor    /* 12 DebugMonitor */
    .word 0                         /* 13 reserved */
    .word __xbuild_pendsv           /* 14 PendSV */
    .word __xbuild_systick          /* 15 SysTick */
    .size __xbuild_vectors, . - __xbuild_vectors

    .text
    .align 1
    .global __xbuild_reset
    .type __xbuild_reset, %function
    .thumb_func
__xbuild_reset:
#ifdef __ARM_FP
    ldr r0, =0xE000ED88             /* CPACR */
    ldr r1, [r0]
    ldr r2, =(0xF << 20)            /* CP10 and CP11: full access */
    orrs r1, r2
    str r1, [r0]
    dsb
    isb
#endif
    ldr r0, =_sidata                /* .data's initial values (0: no such symbol) */
    ldr r1, =_sdata                 /* .data (0: no such symbol) */
    cmp r0, r1                      /* loaded where it runs: nothing to copy */
    beq 2f
    ldr r2, =_edata
1:  cmp r1, r2
    bhs 2f
    ldr r3, [r0]
    str r3, [r1]
    adds r0, #4
    adds r1, #4
    b 1b
2:  ldr r0, =_start
    bx r0
    .size __xbuild_reset, . - __xbuild_reset

/* Defined by a project's linker script that loads .data into flash (AT> FLASH), as
 * STM32CubeMX's do. The bundled targets' layouts (GNU ld's default script) define only _edata,
 * so _sidata and _sdata are both 0 there and nothing is copied. */
    .weak _sidata, _sdata, _edata

/* One entry per exception: r1 = its name, then the common report. */
    .macro xbuild_fault name, text
    .type \name, %function
    .thumb_func
\name:
    ldr r1, =1f
    b __xbuild_fault
    .pushsection .rodata.__xbuild_names, "a", %progbits
1:  .asciz "\text"
    .popsection
    .size \name, . - \name
    .endm

    xbuild_fault __xbuild_nmi, "NMI"
    xbuild_fault __xbuild_hard_fault, "HardFault"
    xbuild_fault __xbuild_mem_manage, "MemManage"
    xbuild_fault __xbuild_bus_fault, "BusFault"
    xbuild_fault __xbuild_usage_fault, "UsageFault"
    xbuild_fault __xbuild_secure_fault, "SecureFault"
    xbuild_fault __xbuild_svcall, "SVCall"
    xbuild_fault __xbuild_debug_monitor, "DebugMonitor"
    xbuild_fault __xbuild_pendsv, "PendSV"
    xbuild_fault __xbuild_systick, "SysTick"

/* r1: the exception's name. Prints the report with SYS_WRITE0 (0x04) and SYS_WRITEC (0x03) and
 * ends with SYS_EXIT_EXTENDED (0x20) {ADP_Stopped_ApplicationExit, 134}. The stacked PC is at
 * offset 24 of the frame on MSP or PSP, as EXC_RETURN's bit 2 says. */
    .type __xbuild_fault, %function
    .thumb_func
__xbuild_fault:
    mov r4, r1                      /* the name */
    mov r0, lr
    movs r1, #4
    tst r0, r1
    beq 1f
    mrs r0, psp
    b 2f
1:  mrs r0, msp
2:  ldr r5, [r0, #24]               /* the interrupted PC */
    mrs r6, ipsr                    /* the exception's number */
    ldr r1, =__xbuild_text_head
    bl __xbuild_write0
    movs r0, r6
    bl __xbuild_write_decimal
    ldr r1, =__xbuild_text_open
    bl __xbuild_write0
    mov r1, r4
    bl __xbuild_write0
    ldr r1, =__xbuild_text_pc
    bl __xbuild_write0
    movs r0, r5
    bl __xbuild_write_hex
    ldr r1, =__xbuild_text_tail
    bl __xbuild_write0
    ldr r1, =__xbuild_exit_block
    movs r0, #0x20                  /* SYS_EXIT_EXTENDED */
    bkpt 0xab
3:  b 3b                            /* semihosting off: nothing more to do */
    .size __xbuild_fault, . - __xbuild_fault

/* SYS_WRITE0 of the string at r1. */
    .type __xbuild_write0, %function
    .thumb_func
__xbuild_write0:
    movs r0, #0x04
    bkpt 0xab
    bx lr
    .size __xbuild_write0, . - __xbuild_write0

/* r0 as 8 hex digits, one SYS_WRITEC each; r7 holds the character. */
    .type __xbuild_write_hex, %function
    .thumb_func
__xbuild_write_hex:
    push {r4, lr}
    mov r4, r0
    movs r3, #8
1:  lsrs r0, r4, #28
    lsls r4, r4, #4
    cmp r0, #10
    blt 2f
    adds r0, #('a' - '0' - 10)
2:  adds r0, #'0'
    bl __xbuild_writec
    subs r3, #1
    bne 1b
    pop {r4, pc}
    .size __xbuild_write_hex, . - __xbuild_write_hex

/* r0 (below 1000) in decimal, without leading zeros. */
    .type __xbuild_write_decimal, %function
    .thumb_func
__xbuild_write_decimal:
    push {r4, lr}
    movs r4, #0                     /* a digit printed already */
    ldr r2, =100
    bl 4f
    movs r2, #10
    bl 4f
    adds r0, #'0'
    bl __xbuild_writec
    pop {r4, pc}
4:  movs r1, #0                     /* r0 / r2 by subtraction: r1 the digit */
5:  cmp r0, r2
    blt 6f
    subs r0, r0, r2
    adds r1, #1
    b 5b
6:  orrs r4, r1
    beq 7f
    push {r0, lr}
    movs r0, r1
    adds r0, #'0'
    bl __xbuild_writec
    pop {r0, r1}
    bx r1
7:  bx lr
    .size __xbuild_write_decimal, . - __xbuild_write_decimal

/* SYS_WRITEC of the character in r0 (r0-r2 clobbered, r3 kept). */
    .type __xbuild_writec, %function
    .thumb_func
__xbuild_writec:
    push {r3, lr}
    ldr r1, =__xbuild_char
    strb r0, [r1]
    movs r0, #0x03
    bkpt 0xab
    pop {r3, pc}
    .size __xbuild_writec, . - __xbuild_writec
    .ltorg

    .section .rodata.__xbuild_text, "a"
    .align 2
__xbuild_exit_block:
    .word 0x20026                   /* ADP_Stopped_ApplicationExit */
    .word 134
__xbuild_text_head:
    .asciz "\nxbuild startup: unhandled exception "
__xbuild_text_open:
    .asciz " ("
__xbuild_text_pc:
    .asciz ") at pc=0x"
__xbuild_text_tail:
    .asciz "\n"

    .section .bss.__xbuild_char, "aw", %nobits
__xbuild_char:
    .space 1

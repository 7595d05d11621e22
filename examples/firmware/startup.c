// The vector table at address 0x0: QEMU's Cortex-M reset reads the initial stack pointer and
// the reset handler from there. The reset handler is newlib's _start (rdimon.specs), which sets
// up the C runtime and semihosting, calls main() and hands main's return value to QEMU as the
// exit code. Without this table QEMU 7.2 locks up ("can't escalate 3 to HardFault").
#include <stdint.h>

extern void _start(void);

static void fault_handler(void) {
  for (;;) {
  }
}

// Initial SP: the top of the first 64 KiB of SRAM (present on every supported board).
__attribute__((section(".vectors"), used)) const uintptr_t vector_table[16] = {
    0x20010000u,
    (uintptr_t)&_start,
    (uintptr_t)&fault_handler, (uintptr_t)&fault_handler, (uintptr_t)&fault_handler,
    (uintptr_t)&fault_handler, (uintptr_t)&fault_handler, 0, 0, 0, 0,
    (uintptr_t)&fault_handler, (uintptr_t)&fault_handler, 0,
    (uintptr_t)&fault_handler, (uintptr_t)&fault_handler,
};

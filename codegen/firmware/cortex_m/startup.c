/* Start-up code for Cortex-M4/M7/M33 (ARMv7E-M, ARMv8-M Mainline).
 *
 * - Vector table in section .mcutune_vectors (the linker script puts it at
 *   the flash origin): initial SP = top of the stack region, Reset_Handler,
 *   every fault to one handler, SysTick to the harness timer.
 * - Reset_Handler: VTOR, stack limit (MSPLIM on v8-M), FPU access (CPACR
 *   CP10/CP11 full access when compiled for an FPU), copy .data from flash,
 *   zero .bss, call main(), exit with its status.
 * - Faults: the naked entry picks the stacked frame (MSP/PSP from EXC_RETURN),
 *   moves MSP back to the top of the stack (the fault may be a stack
 *   overflow), then reports PC/CFSR/HFSR/exception number over semihosting,
 *   fills the RAM result block and exits with MCUTUNE_STATUS_FAULT.
 * Register addresses: Armv7-M / Armv8-M ARM, System Control Block. */
#include <stdint.h>

#include "codegen/firmware/cortex_m/semihosting.h"
#include "codegen/firmware/result_block.h"

#define REG32(addr) (*(volatile uint32_t*)(addr))
#define SCB_VTOR REG32(0xE000ED08u)
#define SCB_CFSR REG32(0xE000ED28u)
#define SCB_HFSR REG32(0xE000ED2Cu)
#define SCB_MMFAR REG32(0xE000ED34u)
#define SCB_BFAR REG32(0xE000ED38u)
#define SCB_CPACR REG32(0xE000ED88u)

extern uint32_t __mcutune_stack_bottom[];
extern uint32_t __mcutune_stack_top[];
extern uint32_t __mcutune_data_load[];
extern uint32_t __mcutune_data_start[];
extern uint32_t __mcutune_data_end[];
extern uint32_t __mcutune_bss_start[];
extern uint32_t __mcutune_bss_end[];

int main(void);
void Reset_Handler(void);
void mcutune_fault_entry(void);
/* Unexpected exceptions are reported like faults. */
void mcutune_default_handler(void) __attribute__((alias("mcutune_fault_entry")));
void SysTick_Handler(void) __attribute__((weak, alias("mcutune_fault_entry")));

typedef void (*Vector)(void);

__attribute__((section(".mcutune_vectors"), used)) const Vector mcutune_vectors[32] = {
    (Vector)(uintptr_t)__mcutune_stack_top,
    Reset_Handler,
    mcutune_fault_entry, /* NMI */
    mcutune_fault_entry, /* HardFault */
    mcutune_fault_entry, /* MemManage */
    mcutune_fault_entry, /* BusFault */
    mcutune_fault_entry, /* UsageFault */
    mcutune_fault_entry, /* SecureFault (v8-M) */
    0, 0, 0,
    mcutune_default_handler, /* SVCall */
    mcutune_default_handler, /* DebugMonitor */
    0,
    mcutune_default_handler, /* PendSV */
    SysTick_Handler,
    /* 16 external interrupts, unused: the harness enables none. */
    mcutune_default_handler, mcutune_default_handler, mcutune_default_handler,
    mcutune_default_handler, mcutune_default_handler, mcutune_default_handler,
    mcutune_default_handler, mcutune_default_handler, mcutune_default_handler,
    mcutune_default_handler, mcutune_default_handler, mcutune_default_handler,
    mcutune_default_handler, mcutune_default_handler, mcutune_default_handler,
    mcutune_default_handler,
};

/* No loop idiom -> memcpy/memset calls here: nothing is initialised yet. */
__attribute__((optimize("no-tree-loop-distribute-patterns"), noreturn)) void
Reset_Handler(void) {
  SCB_VTOR = (uint32_t)(uintptr_t)mcutune_vectors;
#if defined(__ARM_ARCH_8M_MAIN__)
  __asm__ volatile("msr msplim, %0" : : "r"(__mcutune_stack_bottom));
#endif
#if defined(__ARM_FP)
  SCB_CPACR |= (0xFu << 20); /* CP10, CP11: full access */
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  volatile uint32_t* src = __mcutune_data_load;
  for (volatile uint32_t* dst = __mcutune_data_start; dst < __mcutune_data_end;) {
    *dst++ = *src++;
  }
  for (volatile uint32_t* dst = __mcutune_bss_start; dst < __mcutune_bss_end;) {
    *dst++ = 0;
  }
  const int status = main();
  mcutune_semihost_exit((uint32_t)status);
}

static void PutHex(char* out, uint32_t v) {
  static const char kHex[] = "0123456789abcdef";
  out[0] = '0';
  out[1] = 'x';
  for (int i = 0; i < 8; ++i) out[2 + i] = kHex[(v >> (28 - 4 * i)) & 15u];
  out[10] = 0;
}

__attribute__((noreturn, used)) void mcutune_fault_report(const uint32_t* frame,
                                                           uint32_t exception) {
  uint32_t pc = 0;
  /* Only trust the frame if it lies inside the stack region. */
  if (frame >= __mcutune_stack_bottom && frame + 8 <= __mcutune_stack_top) {
    pc = frame[6];
  }
  const uint32_t cfsr = SCB_CFSR, hfsr = SCB_HFSR;
  mcutune_result.status = MCUTUNE_STATUS_FAULT;
  mcutune_result.version = MCUTUNE_RESULT_VERSION;
  mcutune_result.fault_pc = pc;
  mcutune_result.fault_cfsr = cfsr;
  mcutune_result.fault_exception = exception;
  mcutune_result.magic = MCUTUNE_RESULT_MAGIC;
  char hex[11];
  mcutune_semihost_write0("MCUTUNE_RESULT {\"v\":1,\"status\":\"fault\",\"exception\":");
  char num[4] = {(char)('0' + exception / 100 % 10), (char)('0' + exception / 10 % 10),
                 (char)('0' + exception % 10), 0};
  mcutune_semihost_write0(num[0] == '0' ? (num[1] == '0' ? num + 2 : num + 1) : num);
  mcutune_semihost_write0(",\"pc\":\"");
  PutHex(hex, pc);
  mcutune_semihost_write0(hex);
  mcutune_semihost_write0("\",\"cfsr\":\"");
  PutHex(hex, cfsr);
  mcutune_semihost_write0(hex);
  mcutune_semihost_write0("\",\"hfsr\":\"");
  PutHex(hex, hfsr);
  mcutune_semihost_write0(hex);
  mcutune_semihost_write0("\",\"bfar\":\"");
  PutHex(hex, SCB_BFAR);
  mcutune_semihost_write0(hex);
  mcutune_semihost_write0("\",\"mmfar\":\"");
  PutHex(hex, SCB_MMFAR);
  mcutune_semihost_write0(hex);
  mcutune_semihost_write0("\"}\n");
  mcutune_semihost_exit(MCUTUNE_STATUS_FAULT);
}

__attribute__((naked)) void mcutune_fault_entry(void) {
  __asm__ volatile(
      "tst lr, #4\n\t"
      "ite eq\n\t"
      "mrseq r0, msp\n\t"
      "mrsne r0, psp\n\t"
      "mrs r1, ipsr\n\t"
      "ldr r2, =__mcutune_stack_top\n\t"
      "msr msp, r2\n\t"
      "b mcutune_fault_report\n\t"
      ".ltorg\n\t");
}

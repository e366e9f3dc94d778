/* The harness platform on Cortex-M (see platform.h).
 *
 * Timer, chosen at init:
 * - DWT CYCCNT (core clock cycles) when the DWT exists and the counter
 *   advances: TRCENA in DEMCR, unlock (M7 lock access register), CYCCNTENA,
 *   then check it moved across a short delay. QEMU does not emulate the DWT
 *   (reads as zero), so there it falls through to:
 * - SysTick on the processor clock (CLKSOURCE=1), reload 0xFFFFFF, interrupt
 *   on every wrap counting periods of 2^24 ticks. A read takes the period
 *   count and CVR with interrupts masked; if a wrap is pending (ICSR
 *   PENDSTSET) the CVR is re-read and one more period counted, so the value is
 *   monotonic. Under `qemu -icount shift=N` a processor-clock tick is a fixed
 *   amount of virtual time, i.e. a fixed number of guest instructions (the
 *   host converts: instructions = ticks * tick_ns / 2^N).
 * Stack: the region [__mcutune_stack_bottom, __mcutune_stack_top) sits at the
 * start of RAM (an overflow runs off the RAM into a bus fault rather than into
 * data). paint() fills it up to 64 bytes below the current SP with a
 * pattern; high_water() finds the lowest overwritten word. */
#include <stdint.h>

#include "codegen/firmware/cortex_m/semihosting.h"
#include "codegen/firmware/platform.h"
#include "codegen/firmware/result_block.h"

#define REG32(addr) (*(volatile uint32_t*)(addr))
#define SCB_ICSR REG32(0xE000ED04u)
#define ICSR_PENDSTSET (1u << 26)
#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)
#define DEMCR REG32(0xE000EDFCu)
#define DWT_CTRL REG32(0xE0001000u)
#define DWT_CYCCNT REG32(0xE0001004u)
#define DWT_LAR REG32(0xE0001FB0u)

#define kSysTickReload 0x00FFFFFFu
#define kStackPattern 0xA5C3A5C3u

extern uint32_t __mcutune_stack_bottom[];
extern uint32_t __mcutune_stack_top[];
extern uint8_t __mcutune_flash_start[];
extern uint8_t __mcutune_flash_end[];
extern uint8_t __mcutune_ram_start[];
extern uint8_t __mcutune_ram_end[];

static uint32_t g_timer_kind = MCUTUNE_TIMER_NONE;
static volatile uint32_t g_systick_periods;
static uint32_t g_dwt_high, g_dwt_last;

void SysTick_Handler(void) { ++g_systick_periods; }

static int DwtWorks(void) {
  DEMCR |= 1u << 24;
  DWT_LAR = 0xC5ACCE55u;
  DWT_CYCCNT = 0;
  DWT_CTRL |= 1u;
  const uint32_t a = DWT_CYCCNT;
  for (volatile int i = 0; i < 16; ++i) {
  }
  return DWT_CYCCNT != a;
}

void mcutune_platform_init(void) {
#ifndef MCUTUNE_FORCE_SYSTICK
  if (DwtWorks()) {
    g_timer_kind = MCUTUNE_TIMER_DWT_CYCCNT;
    return;
  }
#endif
  SYST_CSR = 0;
  SYST_RVR = kSysTickReload;
  SYST_CVR = 0;
  g_systick_periods = 0;
  SYST_CSR = 7u; /* CLKSOURCE=processor | TICKINT | ENABLE */
  g_timer_kind = MCUTUNE_TIMER_SYSTICK;
}

uint32_t mcutune_platform_timer_kind(void) { return g_timer_kind; }

uint64_t mcutune_platform_now(void) {
  if (g_timer_kind == MCUTUNE_TIMER_DWT_CYCCNT) {
    /* Extend the 32-bit counter; called at least once per 2^32 cycles
     * (once per inference is enough below ~20 s at 216 MHz). */
    const uint32_t now = DWT_CYCCNT;
    if (now < g_dwt_last) ++g_dwt_high;
    g_dwt_last = now;
    return ((uint64_t)g_dwt_high << 32) | now;
  }
  if (g_timer_kind != MCUTUNE_TIMER_SYSTICK) return 0;
  uint32_t primask;
  __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
  uint32_t cvr = SYST_CVR;
  uint32_t periods = g_systick_periods;
  if (SCB_ICSR & ICSR_PENDSTSET) {
    cvr = SYST_CVR;
    ++periods;
  }
  __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
  return (uint64_t)periods * (kSysTickReload + 1u) + (kSysTickReload - cvr);
}

void mcutune_platform_write(const char* text) { mcutune_semihost_write0(text); }

static uint32_t ParseUint(const char* s, const char** end) {
  uint32_t v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10u + (uint32_t)(*s++ - '0');
  *end = s;
  return v;
}

static int StartsWith(const char* s, const char* prefix) {
  while (*prefix) {
    if (*s++ != *prefix++) return 0;
  }
  return 1;
}

void mcutune_platform_args(uint32_t* runs, uint32_t* warmup) {
  char cmdline[128];
  if (mcutune_semihost_cmdline(cmdline, sizeof(cmdline)) < 0) return;
  const char* p = cmdline;
  while (*p) {
    while (*p == ' ') ++p;
    const char* end = p;
    if (StartsWith(p, "runs=")) {
      *runs = ParseUint(p + 5, &end);
    } else if (StartsWith(p, "warmup=")) {
      *warmup = ParseUint(p + 7, &end);
    }
    while (*end && *end != ' ') ++end;
    p = end;
  }
}

void mcutune_platform_stack_paint(void) {
  uint32_t sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  volatile uint32_t* limit = (volatile uint32_t*)(uintptr_t)((sp - 64u) & ~3u);
  for (volatile uint32_t* p = __mcutune_stack_bottom; p < limit; ++p) *p = kStackPattern;
}

uint32_t mcutune_platform_stack_high_water(void) {
  const volatile uint32_t* p = __mcutune_stack_bottom;
  while (p < __mcutune_stack_top && *p == kStackPattern) ++p;
  return (uint32_t)((uintptr_t)__mcutune_stack_top - (uintptr_t)p);
}

uint32_t mcutune_platform_stack_bytes(void) {
  return (uint32_t)((uintptr_t)__mcutune_stack_top - (uintptr_t)__mcutune_stack_bottom);
}

uint32_t mcutune_platform_flash_bytes(void) {
  return (uint32_t)(__mcutune_flash_end - __mcutune_flash_start);
}

uint32_t mcutune_platform_ram_bytes(void) {
  return (uint32_t)(__mcutune_ram_end - __mcutune_ram_start);
}

void mcutune_platform_exit(uint32_t status) { mcutune_semihost_exit(status); }

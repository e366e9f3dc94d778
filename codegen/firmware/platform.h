/* What the harness needs from the machine it runs on. Two implementations:
 * cortex_m/platform_cortex_m.c (firmware: semihosting, DWT or SysTick,
 * painted stack) and host/platform_host.c (the host build: stdio,
 * clock_gettime, no stack measurement).
 *
 * Call order: init() first; stack_paint() before the first inference;
 * now() any time after init(); exit() last (never returns). */
#ifndef MCUTUNE_CODEGEN_FIRMWARE_PLATFORM_H_
#define MCUTUNE_CODEGEN_FIRMWARE_PLATFORM_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void mcutune_platform_init(void);
/* Monotonic tick count; MCUTUNE_TIMER_* in result_block.h says what a tick is. */
uint64_t mcutune_platform_now(void);
uint32_t mcutune_platform_timer_kind(void);
/* Writes a NUL-terminated string to the console (no newline added). */
void mcutune_platform_write(const char* text);
/* Runs/warm-up overrides from the command line ("runs=N warmup=N"); leaves
 * the values untouched when there is none. */
void mcutune_platform_args(uint32_t* runs, uint32_t* warmup);
/* Fills the unused part of the stack with a pattern, and later reports how
 * many bytes from the top were ever touched. 0 when not measurable. */
void mcutune_platform_stack_paint(void);
uint32_t mcutune_platform_stack_high_water(void);
uint32_t mcutune_platform_stack_bytes(void);
/* Static image sizes from the linker script; 0 on the host. */
uint32_t mcutune_platform_flash_bytes(void);
uint32_t mcutune_platform_ram_bytes(void);
void mcutune_platform_exit(uint32_t status) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* MCUTUNE_CODEGEN_FIRMWARE_PLATFORM_H_ */

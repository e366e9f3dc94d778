/* The measurement result as the harness leaves it in RAM.
 *
 * On QEMU the harness also prints it as one line over semihosting:
 *   MCUTUNE_RESULT {"v":1,"status":"ok",...}
 * On real boards without a debugger console (the pyOCD path) the host halts
 * the core and reads this block at the ELF symbol `mcutune_result` (section
 * .mcutune_result, placed right after the stack at the start of RAM). `magic`
 * is written last, so a block with the magic is complete. Little-endian,
 * naturally aligned, 104 bytes; layout changes bump `version`.
 */
#ifndef MCUTUNE_CODEGEN_FIRMWARE_RESULT_BLOCK_H_
#define MCUTUNE_CODEGEN_FIRMWARE_RESULT_BLOCK_H_

#include <stdint.h>

#define MCUTUNE_RESULT_MAGIC 0x5452434Du /* "MCRT" */
#define MCUTUNE_RESULT_VERSION 1u

/* status: also the semihosting exit code. */
#define MCUTUNE_STATUS_OK 0u
#define MCUTUNE_STATUS_HARNESS_ERROR 2u /* bad sizes, input mismatch */
#define MCUTUNE_STATUS_FAULT 3u         /* HardFault & co. */
#define MCUTUNE_STATUS_OUTPUT_VARIES 4u /* runs disagreed on the output */

/* timer_kind: what `ticks` counts. */
#define MCUTUNE_TIMER_NONE 0u
#define MCUTUNE_TIMER_DWT_CYCCNT 1u /* core clock cycles (real silicon) */
#define MCUTUNE_TIMER_SYSTICK 2u    /* SysTick on the processor clock */
#define MCUTUNE_TIMER_HOST_NS 3u    /* host build: nanoseconds */

typedef struct {
  uint32_t magic;
  uint32_t version;
  uint32_t status;
  uint32_t timer_kind;
  uint64_t ticks;          /* sum over the measured runs, overhead removed */
  uint32_t runs;           /* measured inferences */
  uint32_t warmup;         /* un-measured inferences before them */
  uint32_t stack_high_water_bytes;
  uint32_t stack_bytes;    /* size of the stack region */
  uint32_t arena_bytes;
  uint32_t output_bytes;
  uint32_t flash_bytes;    /* image size in flash (text+rodata+data) */
  uint32_t ram_bytes;      /* static RAM incl. stack and arena */
  uint32_t fault_pc;       /* status FAULT: stacked PC, CFSR, exception */
  uint32_t fault_cfsr;
  uint32_t fault_exception;
  uint32_t reserved;
  uint8_t output_sha256[32];
} mcutune_result_t;

extern volatile mcutune_result_t mcutune_result;

#endif /* MCUTUNE_CODEGEN_FIRMWARE_RESULT_BLOCK_H_ */

/* Test model whose run() executes exactly 2 * CALIB_N + 2 instructions (a
 * subs/bne loop, the mov that loads N and the return), to check the
 * instruction counts the QEMU runner derives from SysTick ticks. */
#include <stdint.h>

#include "codegen/firmware/model_api.h"

#ifndef CALIB_N
#define CALIB_N 100000
#endif

const uint32_t mcutune_model_num_inputs = 1;
const uint32_t mcutune_model_num_outputs = 1;
const uint32_t mcutune_model_input_bytes[] = {4};
const uint32_t mcutune_model_output_bytes[] = {4};
const uint32_t mcutune_model_arena_bytes = 16;
static int8_t g_arena[16] MCUTUNE_ARENA_ATTR;

void mcutune_model_init(void) {}
int8_t* mcutune_model_input(int i) { return i == 0 ? g_arena : 0; }
const int8_t* mcutune_model_output(int i) { return i == 0 ? g_arena + 4 : 0; }

__attribute__((naked, noinline)) void mcutune_model_run(void) {
  __asm__ volatile(
      "ldr r0, =%c0\n\t"
      "1: subs r0, r0, #1\n\t"
      "bne 1b\n\t"
      "bx lr\n\t"
      ".ltorg" ::"i"(CALIB_N));
}

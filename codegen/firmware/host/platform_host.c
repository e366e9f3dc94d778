/* The harness platform for host builds (see platform.h): the same harness and
 * model sources compiled with the system compiler, for fast bit-exactness
 * checks. Timer: CLOCK_MONOTONIC nanoseconds (informative only); output on
 * stdout; "runs=N warmup=N" from $MCUTUNE_ARGS; no stack or image figures. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codegen/firmware/platform.h"
#include "codegen/firmware/result_block.h"

void mcutune_platform_init(void) {}

uint64_t mcutune_platform_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t mcutune_platform_timer_kind(void) { return MCUTUNE_TIMER_HOST_NS; }

void mcutune_platform_write(const char* text) {
  fputs(text, stdout);
  fflush(stdout);
}

void mcutune_platform_args(uint32_t* runs, uint32_t* warmup) {
  const char* args = getenv("MCUTUNE_ARGS");
  if (!args) return;
  const char* p;
  if ((p = strstr(args, "runs="))) *runs = (uint32_t)strtoul(p + 5, NULL, 10);
  if ((p = strstr(args, "warmup="))) *warmup = (uint32_t)strtoul(p + 7, NULL, 10);
}

void mcutune_platform_stack_paint(void) {}
uint32_t mcutune_platform_stack_high_water(void) { return 0; }
uint32_t mcutune_platform_stack_bytes(void) { return 0; }
uint32_t mcutune_platform_flash_bytes(void) { return 0; }
uint32_t mcutune_platform_ram_bytes(void) { return 0; }

void mcutune_platform_exit(uint32_t status) { exit((int)status); }

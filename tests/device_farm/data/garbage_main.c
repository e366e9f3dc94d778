/* Test firmware without the harness: prints what GARBAGE_KIND says and
 * exits 0. 1: a malformed result line; 2: nothing; 3: a well-formed "ok"
 * line but exit status 3. */
#include "codegen/firmware/cortex_m/semihosting.h"

int main(void) {
#if GARBAGE_KIND == 1
  mcutune_semihost_write0("\x01\xfe boot\nMCUTUNE_RESULT {\"v\":1,\"status\":\"ok\",\"ticks\":\n");
#elif GARBAGE_KIND == 3
  mcutune_semihost_write0(
      "MCUTUNE_RESULT {\"v\":1,\"status\":\"ok\",\"timer\":\"systick\",\"ticks\":1,"
      "\"runs\":1,\"warmup\":0,\"stack_high_water_bytes\":1,\"stack_bytes\":8,"
      "\"arena_bytes\":1,\"input_bytes\":1,\"output_bytes\":1,\"flash_bytes\":1,"
      "\"ram_bytes\":1,\"output_sha256\":"
      "\"0000000000000000000000000000000000000000000000000000000000000000\"}\n");
  return 3;
#endif
  return 0;
}

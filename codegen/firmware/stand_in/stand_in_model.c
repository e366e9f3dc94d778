/* A hand-written stand-in for a generated model (model_api.h), used to test
 * the harness, the builder and the virtual boards before the emitter exists,
 * and as the farm's known-answer firmware.
 *
 * One input, one output (model API version 2 with one of each).
 * One int8 "layer": 16 outputs, each a dot product of the 256-byte input with
 * a rotated window of a const 256-entry weight table, rounded and saturated:
 *   acc[o] = sum_i in[i] * w[(i + 17 o) mod 256];  out[o] = sat8((acc + 128) >> 8)
 * repeated MCUTUNE_STAND_IN_PASSES times (output fed back into the first 16
 * inputs), so the work per inference can be scaled at compile time.
 * Test knobs: MCUTUNE_STAND_IN_ARENA_BYTES (declare a bigger arena),
 * MCUTUNE_STAND_IN_HANG (run() never returns), MCUTUNE_STAND_IN_FAULT (run()
 * executes a permanently undefined instruction -> UsageFault -> HardFault),
 * MCUTUNE_STAND_IN_STACK_BYTES (run() touches a stack array of that size). */
#include <stdint.h>

#include "codegen/firmware/model_api.h"

#define kInputBytes 256u
#define kOutputBytes 16u
#ifndef MCUTUNE_STAND_IN_PASSES
#define MCUTUNE_STAND_IN_PASSES 1
#endif
#ifndef MCUTUNE_STAND_IN_ARENA_BYTES
#define MCUTUNE_STAND_IN_ARENA_BYTES (kInputBytes + kOutputBytes)
#endif

const uint32_t mcutune_model_num_inputs = 1;
const uint32_t mcutune_model_num_outputs = 1;
const uint32_t mcutune_model_input_bytes[] = {kInputBytes};
const uint32_t mcutune_model_output_bytes[] = {kOutputBytes};
const uint32_t mcutune_model_arena_bytes = MCUTUNE_STAND_IN_ARENA_BYTES;

static int8_t g_arena[MCUTUNE_STAND_IN_ARENA_BYTES] MCUTUNE_ARENA_ATTR;

static const int8_t kWeights[256] = {
    37, -51, 74, -104, -91, -80, 59, -99, -19, -109, -84, 94, 86, -93, -5, -82,
    89, -98, -65, -14, -97, 75, -103, -15, -105, -60, 20, 86, -55, -68, 29, -36,
    -76, -32, 62, -79, -96, -98, -23, 126, 90, 32, 110, 104, 57, 25, -1, -36,
    -4, -87, 25, 125, 47, 101, 19, -91, -68, 86, -44, 47, -51, 122, 87, -108,
    -89, 32, 46, 51, 126, 105, -93, -81, 10, 114, -95, -97, 30, 100, 17, 69,
    49, -117, 108, 53, -42, -69, 124, -98, -17, 19, -62, -2, 75, 72, 126, -87,
    -43, 101, 77, 14, -58, 92, 14, 84, 55, 66, -10, -51, -86, -38, -51, -10,
    -9, -122, 120, -35, 6, 16, -126, -54, 86, 61, 35, -64, -101, 105, 72, 75,
    76, 73, -75, 118, 77, -97, -31, -94, -22, 97, -45, -72, 46, -102, -76, -128,
    -51, -77, 58, -115, -92, -22, 64, -52, 1, 49, 58, 114, -66, -69, 121, 110,
    117, 119, 31, -85, -55, -76, 47, 7, 117, -46, -117, -23, 57, -53, -115, 24,
    -82, 5, 59, -43, 54, -14, 40, -14, -29, -6, 77, -12, -26, 124, 54, -114,
    -114, 15, 113, 4, -29, 48, 100, 50, 58, -87, -16, -76, -12, 112, -28, 44,
    -24, 119, -128, 117, 48, -85, -67, 70, -26, 116, -37, 94, 42, -84, 74, 109,
    77, -85, -47, -41, -63, -114, -51, 110, -54, 114, 51, -49, -61, -118, -121, -76,
    -57, 94, -29, -20, -114, 0, -20, 21, -5, 38, 4, 86, -61, -97, 53, 106,
};

void mcutune_model_init(void) {}

int8_t* mcutune_model_input(int i) { return i == 0 ? g_arena : 0; }

const int8_t* mcutune_model_output(int i) { return i == 0 ? g_arena + kInputBytes : 0; }

void mcutune_model_run(void) {
#if defined(MCUTUNE_STAND_IN_HANG)
  for (;;) {
    __asm__ volatile("" ::: "memory");
  }
#endif
#if defined(MCUTUNE_STAND_IN_FAULT) && defined(__arm__)
  __asm__ volatile("udf #0");
#endif
#if defined(MCUTUNE_STAND_IN_STACK_BYTES)
  volatile uint8_t scratch[MCUTUNE_STAND_IN_STACK_BYTES];
  for (uint32_t i = 0; i < MCUTUNE_STAND_IN_STACK_BYTES; ++i) scratch[i] = (uint8_t)i;
#endif
  int8_t* in = g_arena;
  int8_t* out = g_arena + kInputBytes;
  for (int pass = 0; pass < MCUTUNE_STAND_IN_PASSES; ++pass) {
    if (pass > 0) {
      for (uint32_t o = 0; o < kOutputBytes; ++o) in[o] = out[o];
    }
    for (uint32_t o = 0; o < kOutputBytes; ++o) {
      int32_t acc = 0;
      for (uint32_t i = 0; i < kInputBytes; ++i) {
        acc += (int32_t)in[i] * kWeights[(i + 17u * o) & 255u];
      }
      int32_t v = (acc + 128) >> 8;
      out[o] = (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
    }
  }
}

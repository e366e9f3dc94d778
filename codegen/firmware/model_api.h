/* The C interface between the measurement harness and a generated model.
 *
 * The code generator (or the hand-written stand-in in stand_in/) provides
 * every symbol below; the harness (harness.c) only calls them. Input and
 * output live where the memory plan put them (normally inside the arena), so
 * the harness never adds buffers the plan did not count: it writes the input
 * through mcutune_model_input() before each inference and reads the result
 * through mcutune_model_output() after it.
 *
 *   harness main ─► init() once
 *                 ─► for each inference: fill input() ; run() ; read output()
 *
 * Contract:
 * - mcutune_model_init() is called once before anything else; it may set up
 *   constant tables but must not depend on the input.
 * - mcutune_model_input() points at mcutune_model_input_bytes writable bytes
 *   (int8, the input tensor's own layout); its contents are undefined after
 *   mcutune_model_run() (the arena may reuse them).
 * - mcutune_model_run() computes one inference; it is deterministic: the same
 *   input gives the same output bytes.
 * - mcutune_model_output() points at mcutune_model_output_bytes bytes, valid
 *   from the end of run() until the input is written again.
 * - mcutune_model_arena_bytes is the size of the static arena (the SRAM the
 *   plan uses for tensors), reported by the harness.
 * - The arena array is declared with MCUTUNE_ARENA_ATTR so the linker script
 *   places it in the .arena output section (not zeroed at start-up).
 * C99, no heap, no libc beyond memcpy/memset.
 */
#ifndef MCUTUNE_CODEGEN_FIRMWARE_MODEL_API_H_
#define MCUTUNE_CODEGEN_FIRMWARE_MODEL_API_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MCUTUNE_MODEL_API_VERSION 1

#if defined(__arm__) && !defined(MCUTUNE_HOST)
#define MCUTUNE_ARENA_ATTR __attribute__((section(".mcutune_arena"), aligned(16)))
#else
#define MCUTUNE_ARENA_ATTR __attribute__((aligned(16)))
#endif

extern const uint32_t mcutune_model_input_bytes;
extern const uint32_t mcutune_model_output_bytes;
extern const uint32_t mcutune_model_arena_bytes;

void mcutune_model_init(void);
int8_t* mcutune_model_input(void);
void mcutune_model_run(void);
const int8_t* mcutune_model_output(void);

/* Optional embedded input (compile the harness with MCUTUNE_INPUT_ARRAY=1 and
 * link a generated file defining these); without it the harness fills the
 * input with the golden generator of ../shared/golden/README.md:
 *   s = seed; per element: s = s * 1103515245 + 12345 (mod 2^32);
 *   x = ((s >> 16) & 255) - 128                     (seed: MCUTUNE_INPUT_SEED, default 1) */
extern const int8_t mcutune_input_data[];
extern const uint32_t mcutune_input_data_bytes;

#ifdef __cplusplus
}
#endif

#endif /* MCUTUNE_CODEGEN_FIRMWARE_MODEL_API_H_ */

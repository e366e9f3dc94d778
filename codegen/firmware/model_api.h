/* The C interface between the measurement harness and a generated model.
 *
 * The code generator (or the hand-written stand-in in stand_in/) provides
 * every symbol below; the harness (harness.c) only calls them. Inputs and
 * outputs live where the memory plan put them (normally inside the arena),
 * so the harness never adds buffers the plan did not count: it writes every
 * input through mcutune_model_input(i) before each inference and reads every
 * result through mcutune_model_output(i) after it.
 *
 *   harness main ─► init() once
 *                 ─► for each inference: fill input(0..n-1) ; run() ;
 *                                        hash output(0..m-1)
 *
 * Contract (inputs and outputs are indexed in the graph's order):
 * - mcutune_model_init() is called once before anything else; it may set up
 *   constant tables but must not depend on the input.
 * - mcutune_model_num_inputs >= 1 and mcutune_model_num_outputs >= 1 (at
 *   most MCUTUNE_MODEL_MAX_IO each).
 * - mcutune_model_input(i), 0 <= i < num_inputs, points at
 *   mcutune_model_input_bytes[i] writable bytes (int8, that tensor's own
 *   layout); distinct inputs do not overlap; contents are undefined after
 *   mcutune_model_run() (the arena may reuse them).
 * - mcutune_model_run() computes one inference; it is deterministic: the same
 *   inputs give the same output bytes.
 * - mcutune_model_output(i), 0 <= i < num_outputs, points at
 *   mcutune_model_output_bytes[i] bytes, valid from the end of run() until
 *   an input is written again.
 * - mcutune_model_arena_bytes is the size of the static arena (the SRAM the
 *   plan uses for tensors), reported by the harness.
 * - The arena array is declared with MCUTUNE_ARENA_ATTR so the linker script
 *   places it in the .arena output section (not zeroed at start-up).
 * C99, no heap, no libc beyond memcpy/memset.
 *
 * Version 2 (was 1: one input and one output, no index): per-index inputs
 * and outputs with their counts and byte-count arrays.
 */
#ifndef MCUTUNE_CODEGEN_FIRMWARE_MODEL_API_H_
#define MCUTUNE_CODEGEN_FIRMWARE_MODEL_API_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MCUTUNE_MODEL_API_VERSION 2
/* The harness rejects models with more inputs or outputs than this. */
#define MCUTUNE_MODEL_MAX_IO 16

#if defined(__arm__) && !defined(MCUTUNE_HOST)
#define MCUTUNE_ARENA_ATTR __attribute__((section(".mcutune_arena"), aligned(16)))
#else
#define MCUTUNE_ARENA_ATTR __attribute__((aligned(16)))
#endif

extern const uint32_t mcutune_model_num_inputs;
extern const uint32_t mcutune_model_num_outputs;
extern const uint32_t mcutune_model_input_bytes[];  /* [num_inputs] */
extern const uint32_t mcutune_model_output_bytes[]; /* [num_outputs] */
extern const uint32_t mcutune_model_arena_bytes;

void mcutune_model_init(void);
int8_t* mcutune_model_input(int i);
void mcutune_model_run(void);
const int8_t* mcutune_model_output(int i);

/* Optional embedded input (compile the harness with MCUTUNE_INPUT_ARRAY=1 and
 * link a generated file defining these): the raw bytes of every input
 * concatenated in graph order, sum(input_bytes) in total. Without it the
 * harness fills the inputs with the golden generator of
 * ../shared/golden/README.md, input i with seed MCUTUNE_INPUT_SEED + i
 * (default seed 1; the same convention as codegen::GoldenInputs and
 * `mcutune run --input-seed`):
 *   s = seed + i; per element: s = s * 1103515245 + 12345 (mod 2^32);
 *   x = ((s >> 16) & 255) - 128
 * The reported output_sha256 is the SHA-256 of every output concatenated in
 * graph order (for one output: of that output). */
extern const int8_t mcutune_input_data[];
extern const uint32_t mcutune_input_data_bytes;

#ifdef __cplusplus
}
#endif

#endif /* MCUTUNE_CODEGEN_FIRMWARE_MODEL_API_H_ */

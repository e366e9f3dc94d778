/* The measurement harness: main() of every firmware mcutune builds.
 *
 * - init the platform (timer: DWT CYCCNT when present and counting, else
 *   SysTick), paint the stack, init the model;
 * - calibrate the cost of one timer start/stop pair (min of 4);
 * - W warm-up inferences, then N measured ones; before each every input is
 *   written into the model's input buffer (outside the timed region), each
 *   inference is timed on its own and the pair cost subtracted;
 * - hash the outputs (SHA-256 of all outputs concatenated in graph order)
 *   after the first and the last inference; they must agree (status
 *   OUTPUT_VARIES otherwise);
 * - fill the RAM result block (result_block.h), print one line
 *     MCUTUNE_RESULT {"v":1,"status":"ok","timer":"systick","ticks":...}
 *   and exit with the status as exit code.
 * Compile-time knobs: MCUTUNE_RUNS (default 1), MCUTUNE_WARMUP (1),
 * MCUTUNE_INPUT_SEED (1; input i uses seed + i), MCUTUNE_INPUT_ARRAY (0:
 * golden generator; 1: mcutune_input_data, all inputs concatenated). */
#include <stddef.h>
#include <string.h>

#include "codegen/firmware/model_api.h"
#include "codegen/firmware/platform.h"
#include "codegen/firmware/result_block.h"
#include "codegen/firmware/sha256.h"

#ifndef MCUTUNE_RUNS
#define MCUTUNE_RUNS 1
#endif
#ifndef MCUTUNE_WARMUP
#define MCUTUNE_WARMUP 1
#endif
#ifndef MCUTUNE_INPUT_SEED
#define MCUTUNE_INPUT_SEED 1
#endif
#ifndef MCUTUNE_INPUT_ARRAY
#define MCUTUNE_INPUT_ARRAY 0
#endif

/* ---- a tiny line builder (no printf: it would cost ~20 KB of flash) ---- */
typedef struct {
  char text[400];
  size_t len;
} Line;

static void Put(Line* line, const char* s) {
  while (*s && line->len + 1 < sizeof(line->text)) line->text[line->len++] = *s++;
  line->text[line->len] = 0;
}

static void PutU64(Line* line, uint64_t v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = (char)('0' + (int)(v % 10u));
    v /= 10u;
  } while (v != 0);
  char s[24];
  for (int i = 0; i < n; ++i) s[i] = digits[n - 1 - i];
  s[n] = 0;
  Put(line, s);
}

static void PutField(Line* line, const char* key, uint64_t v) {
  Put(line, ",\"");
  Put(line, key);
  Put(line, "\":");
  PutU64(line, v);
}

static const char* StatusName(uint32_t status) {
  switch (status) {
    case MCUTUNE_STATUS_OK: return "ok";
    case MCUTUNE_STATUS_HARNESS_ERROR: return "harness_error";
    case MCUTUNE_STATUS_OUTPUT_VARIES: return "output_varies";
    default: return "fault";
  }
}

static const char* TimerName(uint32_t kind) {
  switch (kind) {
    case MCUTUNE_TIMER_DWT_CYCCNT: return "dwt_cyccnt";
    case MCUTUNE_TIMER_SYSTICK: return "systick";
    case MCUTUNE_TIMER_HOST_NS: return "host_ns";
    default: return "none";
  }
}

/* ---- inputs and outputs (graph order) ---- */
static uint32_t TotalInputBytes(void) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < mcutune_model_num_inputs; ++i) n += mcutune_model_input_bytes[i];
  return n;
}

static uint32_t TotalOutputBytes(void) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < mcutune_model_num_outputs; ++i) n += mcutune_model_output_bytes[i];
  return n;
}

static void LoadInputs(void) {
#if MCUTUNE_INPUT_ARRAY
  uint32_t at = 0;
  for (uint32_t k = 0; k < mcutune_model_num_inputs; ++k) {
    memcpy(mcutune_model_input((int)k), mcutune_input_data + at, mcutune_model_input_bytes[k]);
    at += mcutune_model_input_bytes[k];
  }
#else
  for (uint32_t k = 0; k < mcutune_model_num_inputs; ++k) {
    int8_t* in = mcutune_model_input((int)k);
    uint32_t s = (uint32_t)MCUTUNE_INPUT_SEED + k;
    for (uint32_t i = 0; i < mcutune_model_input_bytes[k]; ++i) {
      s = s * 1103515245u + 12345u;
      in[i] = (int8_t)((int)((s >> 16) & 255u) - 128);
    }
  }
#endif
}

static void HashOutputs(uint8_t digest[32]) {
  mcutune_sha256_t ctx;
  mcutune_sha256_init(&ctx);
  for (uint32_t k = 0; k < mcutune_model_num_outputs; ++k) {
    mcutune_sha256_update(&ctx, mcutune_model_output((int)k), mcutune_model_output_bytes[k]);
  }
  mcutune_sha256_final(&ctx, digest);
}

static void Report(uint32_t status, const char* error) {
  mcutune_result.status = status;
  mcutune_result.version = MCUTUNE_RESULT_VERSION;
  /* Static, not on the stack: the high-water mark should show the model's
   * stack use, not the report's. */
  static Line line;
  line.len = 0;
  Put(&line, "MCUTUNE_RESULT {\"v\":1,\"status\":\"");
  Put(&line, StatusName(status));
  Put(&line, "\"");
  if (error) {
    Put(&line, ",\"error\":\"");
    Put(&line, error);
    Put(&line, "\"");
  }
  Put(&line, ",\"timer\":\"");
  Put(&line, TimerName(mcutune_result.timer_kind));
  Put(&line, "\"");
  PutField(&line, "ticks", mcutune_result.ticks);
  PutField(&line, "runs", mcutune_result.runs);
  PutField(&line, "warmup", mcutune_result.warmup);
  PutField(&line, "stack_high_water_bytes", mcutune_result.stack_high_water_bytes);
  PutField(&line, "stack_bytes", mcutune_result.stack_bytes);
  PutField(&line, "arena_bytes", mcutune_result.arena_bytes);
  PutField(&line, "input_bytes", TotalInputBytes());
  PutField(&line, "output_bytes", mcutune_result.output_bytes);
  PutField(&line, "flash_bytes", mcutune_result.flash_bytes);
  PutField(&line, "ram_bytes", mcutune_result.ram_bytes);
  Put(&line, ",\"output_sha256\":\"");
  static const char kHex[] = "0123456789abcdef";
  char hex[65];
  for (int i = 0; i < 32; ++i) {
    hex[2 * i] = kHex[mcutune_result.output_sha256[i] >> 4];
    hex[2 * i + 1] = kHex[mcutune_result.output_sha256[i] & 15];
  }
  hex[64] = 0;
  Put(&line, hex);
  Put(&line, "\"}\n");
  mcutune_result.magic = MCUTUNE_RESULT_MAGIC;
  mcutune_platform_write(line.text);
  mcutune_platform_exit(status);
}

/* Harness errors (status HARNESS_ERROR, Report never returns): I/O counts
 * out of range, an empty input or output, a NULL buffer, an embedded input
 * whose size is not the sum of the inputs. Called right after init(). */
/* Reports a harness error unless tensor `k` (`what` = "model input ") has
 * bytes and a buffer. */
static void CheckBuffer(Line* error, const char* what, uint32_t k,
                        uint32_t bytes, const void* buffer) {
  if (bytes != 0 && buffer != 0) return;
  Put(error, what);
  PutU64(error, k);
  Put(error, " has no bytes or no buffer");
  Report(MCUTUNE_STATUS_HARNESS_ERROR, error->text);
}

static void CheckModel(void) {
  static Line error;
  error.len = 0;
  if (mcutune_model_num_inputs == 0 || mcutune_model_num_outputs == 0 ||
      mcutune_model_num_inputs > MCUTUNE_MODEL_MAX_IO ||
      mcutune_model_num_outputs > MCUTUNE_MODEL_MAX_IO) {
    Put(&error, "model has ");
    PutU64(&error, mcutune_model_num_inputs);
    Put(&error, " inputs and ");
    PutU64(&error, mcutune_model_num_outputs);
    Put(&error, " outputs (1 to ");
    PutU64(&error, MCUTUNE_MODEL_MAX_IO);
    Put(&error, " each)");
    Report(MCUTUNE_STATUS_HARNESS_ERROR, error.text);
  }
  for (uint32_t k = 0; k < mcutune_model_num_inputs; ++k) {
    CheckBuffer(&error, "model input ", k, mcutune_model_input_bytes[k],
                mcutune_model_input((int)k));
  }
  for (uint32_t k = 0; k < mcutune_model_num_outputs; ++k) {
    CheckBuffer(&error, "model output ", k, mcutune_model_output_bytes[k],
                mcutune_model_output((int)k));
  }
#if MCUTUNE_INPUT_ARRAY
  if (mcutune_input_data_bytes != TotalInputBytes()) {
    Put(&error, "embedded input has ");
    PutU64(&error, mcutune_input_data_bytes);
    Put(&error, " bytes, the model's ");
    PutU64(&error, mcutune_model_num_inputs);
    Put(&error, " inputs need ");
    PutU64(&error, TotalInputBytes());
    Report(MCUTUNE_STATUS_HARNESS_ERROR, error.text);
  }
#endif
}

int main(void) {
  mcutune_platform_init();
  mcutune_platform_stack_paint();
  uint32_t runs = MCUTUNE_RUNS, warmup = MCUTUNE_WARMUP;
  mcutune_platform_args(&runs, &warmup);
  if (runs == 0) runs = 1;
  mcutune_result.timer_kind = mcutune_platform_timer_kind();
  mcutune_result.runs = runs;
  mcutune_result.warmup = warmup;
  mcutune_result.arena_bytes = mcutune_model_arena_bytes;
  mcutune_result.stack_bytes = mcutune_platform_stack_bytes();
  mcutune_result.flash_bytes = mcutune_platform_flash_bytes();
  mcutune_result.ram_bytes = mcutune_platform_ram_bytes();
  mcutune_result.output_bytes = TotalOutputBytes();
  mcutune_model_init();
  CheckModel();

  uint64_t overhead = ~(uint64_t)0;
  for (int i = 0; i < 4; ++i) {
    const uint64_t t0 = mcutune_platform_now();
    const uint64_t t1 = mcutune_platform_now();
    if (t1 - t0 < overhead) overhead = t1 - t0;
  }

  uint8_t first[32];
  for (uint32_t i = 0; i < warmup; ++i) {
    LoadInputs();
    mcutune_model_run();
    if (i == 0) HashOutputs(first);
  }
  uint64_t total = 0;
  for (uint32_t i = 0; i < runs; ++i) {
    LoadInputs();
    const uint64_t t0 = mcutune_platform_now();
    mcutune_model_run();
    const uint64_t t1 = mcutune_platform_now();
    const uint64_t dt = t1 - t0;
    total += dt > overhead ? dt - overhead : 0;
    if (warmup == 0 && i == 0) {
      HashOutputs(first);
    }
  }
  uint8_t last[32];
  HashOutputs(last);
  mcutune_result.ticks = total;
  mcutune_result.stack_high_water_bytes = mcutune_platform_stack_high_water();
  for (int i = 0; i < 32; ++i) mcutune_result.output_sha256[i] = last[i];
  Report(memcmp(first, last, 32) == 0 ? MCUTUNE_STATUS_OK : MCUTUNE_STATUS_OUTPUT_VARIES,
         0);
  return 0;
}

// Small building blocks for the C text the emitter writes: exact literals,
// constant arrays, and the initializers of the kernel library's parameter
// structs (codegen/kernels/mcu_kernels.h).
//
//   OpParams (kernel_params.h) ──AppendOpArrays──► "const int8_t w_op3_f[] = {..};"
//                              ──ParamsDefinition─► "static const mcuk_conv_params
//                                                    k3 = {.in_h = 48, ...};"
//
// Floats are written as C99 hexadecimal literals so the generated code holds
// exactly the float values the reference interpreter uses (a decimal dump
// could round differently). Pure functions, thread-safe.
#ifndef MCUTUNE_CODEGEN_C_SOURCE_H_
#define MCUTUNE_CODEGEN_C_SOURCE_H_

#include <cstdint>
#include <string>

#include <vector>

#include "codegen/kernel_params.h"

namespace mcutune::codegen {

// Exact C99 literal of a finite float, e.g. "0x1.8p-3f" ("0.0f" for zero).
std::string CFloat(float value);

// Untrusted text (a model or tensor name from the .tflite file) made safe to
// place inside a /* ... */ comment of generated C: only printable ASCII
// letters, digits and " _-.,:+=@#()[]" survive, anything else (the "*/" that
// would end the comment, newlines, backslashes, "??" trigraphs, control and
// non-ASCII bytes) becomes '_', and the result is cut at `max_chars` ("..."
// appended).
std::string CommentText(const std::string& text, size_t max_chars = 80);

// Appends "<qualifiers> <type> <name>[n] = {...};\n" (at least one element:
// an empty array gets a single 0 so the definition stays valid C99).
void AppendInt8Array(std::string* out, const std::string& qualifiers,
                     const std::string& name, const int8_t* data, size_t n);
void AppendInt32Array(std::string* out, const std::string& qualifiers,
                      const std::string& name, const int32_t* data, size_t n);
void AppendFloatArray(std::string* out, const std::string& qualifiers,
                      const std::string& name, const float* data, size_t n);

// C expressions (pointer values) for the constant arrays of one operator's
// parameters; an empty string becomes NULL.
struct ParamArrays {
  std::string weights;  // filter / fc weights
  std::string bias;
  std::string scale;
  std::string multiplier;
  std::string shift;
  std::string exp_table;
};

// Defines every constant array of `p` that its requantization mode uses,
// named "<prefix>_w", "_b", "_s", "_m", "_sh", "_e", with `qualifiers` (e.g.
// "const" for shared weights files, "static const" inside one file), and
// returns their names.
ParamArrays AppendOpArrays(std::string* out, const std::string& qualifiers,
                           const std::string& prefix, const OpParams& p);

// Declarations matching AppendOpArrays ("extern const int8_t name[];").
void AppendOpArrayDeclarations(std::string* out, const std::string& prefix,
                               const OpParams& p);

// The mcuk_* type of a kind's parameter struct ("mcuk_conv_params"), or ""
// for kinds without one (reshape, concatenation).
const char* ParamsTypeName(KernelKind kind);

// "static const <type> <name> = {...};\n" for kinds with a struct; for a
// concatenation, one mcuk_rescale_params "<name>_r<i>" per rescaled part.
// Pointers come from `arrays`.
std::string ParamsDefinition(const OpParams& p, const std::string& name,
                             const ParamArrays& arrays);

}  // namespace mcutune::codegen

#endif  // MCUTUNE_CODEGEN_C_SOURCE_H_

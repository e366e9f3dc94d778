// RESHAPE: the bytes do not change, only the shape the graph records.
// The optional shape operand is not read (the output tensor carries the
// shape); element counts must agree.
#include <cstring>

#include "graph/kernels/op_kernel.h"

namespace mcutune::graph {
namespace {

class ReshapeKernel : public OpKernel {
 public:
  explicit ReshapeKernel(int64_t bytes) : bytes_(bytes) {}
  void Run(absl::Span<const int8_t* const> inputs,
           int8_t* output) const override {
    if (bytes_ > 0) std::memcpy(output, inputs[0], bytes_);
  }

 private:
  int64_t bytes_;
};

}  // namespace

OpKernelOr PrepareReshape(const KernelContext& ctx) {
  if (auto s = ctx.ExpectOperands(1, 2); !s.ok()) return s;
  const Tensor& in = ctx.input(0);
  if (auto s = ctx.ExpectInt8PerTensor(in, "input"); !s.ok()) return s;
  if (in.num_elements() != ctx.output().num_elements()) {
    return ctx.Error("input and output element counts differ");
  }
  return std::make_unique<ReshapeKernel>(in.num_elements());
}

}  // namespace mcutune::graph

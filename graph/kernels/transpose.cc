// TRANSPOSE, int8: out.shape[i] = in.shape[perm[i]]. Run walks the output in
// order (an odometer over its index) and reads the input through permuted
// strides, the innermost output dimension in a tight loop.
#include <vector>

#include "graph/kernels/op_kernel.h"

namespace mcutune::graph {
namespace {

class TransposeKernel : public OpKernel {
 public:
  TransposeKernel(std::vector<int32_t> out_shape, std::vector<int64_t> strides)
      : out_shape_(std::move(out_shape)), strides_(std::move(strides)) {}

  void Run(absl::Span<const int8_t* const> inputs,
           int8_t* output) const override {
    const int rank = static_cast<int>(out_shape_.size());
    int64_t total = 1;
    for (int32_t d : out_shape_) total *= d;
    if (total == 0) return;
    const int inner = out_shape_[rank - 1];
    const int64_t inner_stride = strides_[rank - 1];
    std::vector<int32_t> index(rank, 0);
    for (int64_t done = 0; done < total; done += inner) {
      int64_t offset = 0;
      for (int d = 0; d < rank - 1; ++d) offset += index[d] * strides_[d];
      const int8_t* src = inputs[0] + offset;
      for (int i = 0; i < inner; ++i) output[done + i] = src[i * inner_stride];
      for (int d = rank - 2; d >= 0; --d) {
        if (++index[d] < out_shape_[d]) break;
        index[d] = 0;
      }
    }
  }

 private:
  std::vector<int32_t> out_shape_;
  std::vector<int64_t> strides_;  // input stride of each output dimension
};

}  // namespace

OpKernelOr PrepareTranspose(const KernelContext& ctx) {
  if (auto s = ctx.ExpectOperands(2, 2); !s.ok()) return s;
  const Tensor& in = ctx.input(0);
  const Tensor& out = ctx.output();
  if (auto s = ctx.ExpectInt8PerTensor(in, "input"); !s.ok()) return s;
  absl::StatusOr<std::vector<int32_t>> perm = ctx.Int32Constant(1);
  if (!perm.ok()) return perm.status();
  const int rank = static_cast<int>(in.shape.size());
  if (rank == 0 || static_cast<int>(perm->size()) != rank ||
      static_cast<int>(out.shape.size()) != rank) {
    return ctx.Error("perm must list every input dimension once");
  }
  std::vector<int64_t> in_strides(rank, 1);
  for (int d = rank - 2; d >= 0; --d) {
    in_strides[d] = in_strides[d + 1] * in.shape[d + 1];
  }
  std::vector<bool> seen(rank, false);
  std::vector<int64_t> strides(rank);
  for (int i = 0; i < rank; ++i) {
    const int p = (*perm)[i];
    if (p < 0 || p >= rank || seen[p] || out.shape[i] != in.shape[p]) {
      return ctx.Error("perm is not a permutation matching the output shape");
    }
    seen[p] = true;
    strides[i] = in_strides[p];
  }
  return std::make_unique<TransposeKernel>(out.shape, std::move(strides));
}

}  // namespace mcutune::graph

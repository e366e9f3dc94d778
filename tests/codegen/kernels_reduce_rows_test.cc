// The row-block entry points of the reductions over H (mcuk_*_rows and
// mcuk_*_finish, what TinyOps schedules call on their DMA buffers) against the
// reference interpreter, both requantization modes, on random MEAN and
// one-row pooling graphs: the input rows are cut at random places (empty
// blocks, one-row blocks, blocks reaching outside the pooling window), each
// block is copied into its own exactly sized buffer so a read outside it is
// caught (window checks, ASan), and the accumulator starts as garbage.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>

#include "tests/codegen/kernel_harness.h"

namespace mcutune::codegen::testing {
namespace {

using graph::RequantMode;

// Cut points 0 = c0 <= c1 <= ... <= cn = h.
std::vector<int> RandomCuts(int h, std::mt19937& rng) {
  std::vector<int> cuts = {0, h};
  const int n = std::uniform_int_distribution<int>(0, 4)(rng);
  for (int i = 0; i < n; ++i) {
    cuts.push_back(std::uniform_int_distribution<int>(0, h)(rng));
  }
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

Bytes RunRows(const OpParams& p, const Bytes& input,
              const std::vector<int>& cuts, std::mt19937& rng) {
  const int64_t row = int64_t{p.in.w} * p.in.c;
  const size_t values = static_cast<size_t>(p.out.w) * p.out.c;
  std::vector<int32_t> sum(values);
  std::vector<int8_t> max(values);
  for (int32_t& v : sum) v = static_cast<int32_t>(rng());
  for (int8_t& v : max) v = static_cast<int8_t>(rng());
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    const int y0 = cuts[i], y1 = cuts[i + 1];
    Bytes block(input.begin() + y0 * row, input.begin() + y1 * row);
    const mcuk_cview in{block.data(), y0, 0, y1 - y0, p.in.w,
                        static_cast<int32_t>(row)};
    const int32_t first = i == 0;
    switch (p.kind) {
      case KernelKind::kMean:
        mcuk_mean_hw_rows(&p.mean, &in, y0, y1, first, sum.data());
        break;
      case KernelKind::kAveragePool:
        mcuk_avg_pool_rows(&p.pool, &in, y0, y1, first, sum.data());
        break;
      default:
        mcuk_max_pool_rows(&p.pool, &in, y0, y1, first, max.data());
    }
  }
  Bytes out(values);
  const mcuk_view view{out.data(), 0, 0, 1, p.out.w,
                       static_cast<int32_t>(values)};
  switch (p.kind) {
    case KernelKind::kMean:
      mcuk_mean_hw_finish(&p.mean, sum.data(), out.data());
      break;
    case KernelKind::kAveragePool:
      mcuk_avg_pool_finish(&p.pool, sum.data(), &view);
      break;
    default:
      mcuk_max_pool_finish(&p.pool, max.data(), &view);
  }
  return out;
}

void CheckRows(KernelKind kind, int cases) {
  for (RequantMode mode :
       {RequantMode::kSingleRounding, RequantMode::kDoubleRounding}) {
    std::mt19937 rng(777u + static_cast<unsigned>(kind) * 31u +
                     (mode == RequantMode::kDoubleRounding ? 1 : 0));
    for (int i = 0; i < cases; ++i) {
      const graph::Graph g =
          kind == KernelKind::kMean
              ? RandomOpGraph(kind, rng)
              : RandomOneRowPoolGraph(kind == KernelKind::kAveragePool, rng);
      std::vector<Bytes> inputs;
      for (int t : g.inputs)
        inputs.push_back(RandomBytes(g.tensors[t].num_elements(), rng));
      const std::vector<Bytes> ref = ReferenceTensors(g, inputs, mode);
      REQUIRE(!ref.empty());
      const Bytes& want = ref[g.ops[0].outputs[0]];
      absl::StatusOr<OpParams> p = MakeOpParams(g, 0, mode);
      REQUIRE(p.ok());
      REQUIRE(p->out.h == 1);
      for (int k = 0; k < 3; ++k) {
        const std::vector<int> cuts = RandomCuts(p->in.h, rng);
        INFO(KernelKindName(kind) << " case " << i << " in " << p->in.h << "x"
                                  << p->in.w << "x" << p->in.c << " cuts "
                                  << cuts.size() - 1);
        REQUIRE(RunRows(*p, inputs[0], cuts, rng) == want);
      }
    }
  }
}

TEST_CASE("row-block MEAN equals the reference for any split of the rows",
          "[codegen][kernels]") {
  CheckRows(KernelKind::kMean, 150);
}

TEST_CASE("row-block pooling equals the reference for any split of the rows",
          "[codegen][kernels]") {
  CheckRows(KernelKind::kAveragePool, 150);
  CheckRows(KernelKind::kMaxPool, 150);
}

}  // namespace
}  // namespace mcutune::codegen::testing

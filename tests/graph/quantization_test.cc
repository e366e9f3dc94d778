// Fixed-point helpers of graph/kernels/quantization.h, against values worked
// out by hand.
#include <catch2/catch.hpp>

#include "graph/kernels/quantization.h"

namespace mcutune::graph {
namespace {

TEST_CASE("QuantizeMultiplier splits mantissa and exponent", "[quantization]") {
  QuantizedMultiplier half = QuantizeMultiplier(0.5);  // 0.5 = 2^30 * 2^-31
  CHECK(half.multiplier == (1 << 30));
  CHECK(half.shift == 0);
  QuantizedMultiplier one = QuantizeMultiplier(1.0);
  CHECK(one.multiplier == (1 << 30));
  CHECK(one.shift == 1);
  QuantizedMultiplier three_eighths = QuantizeMultiplier(0.375);
  CHECK(three_eighths.multiplier == 3 * (1 << 29));  // 0.75 * 2^31
  CHECK(three_eighths.shift == -1);
  CHECK(QuantizeMultiplier(0.0).multiplier == 0);
  CHECK(QuantizeMultiplier(1e-12).multiplier == 0);  // below 2^-32
}

TEST_CASE("rounding divide by a power of two rounds half away from zero",
          "[quantization]") {
  CHECK(RoundingDivideByPOT(5, 1) == 3);    // 2.5
  CHECK(RoundingDivideByPOT(-5, 1) == -3);  // -2.5
  CHECK(RoundingDivideByPOT(7, 2) == 2);    // 1.75
  CHECK(RoundingDivideByPOT(-6, 2) == -2);  // -1.5
  CHECK(RoundingDivideByPOT(9, 0) == 9);
}

TEST_CASE("single and double rounding of x * 0.375", "[quantization]") {
  const QuantizedMultiplier m = QuantizeMultiplier(0.375);
  // 4 * 0.375 = 1.5: single rounds up to 2; double: high mul gives
  // round(4 * 0.75) = 3, then 3 / 2 = 1.5 rounds away to 2.
  CHECK(MultiplySingleRounding(4, m.multiplier, m.shift) == 2);
  CHECK(MultiplyDoubleRounding(4, m.multiplier, m.shift) == 2);
  // -4 * 0.375 = -1.5: single (half up) -1, double (half away) -2.
  CHECK(MultiplySingleRounding(-4, m.multiplier, m.shift) == -1);
  CHECK(MultiplyDoubleRounding(-4, m.multiplier, m.shift) == -2);
  // 1000 * 0.375 = 375 exactly in both.
  CHECK(MultiplySingleRounding(1000, m.multiplier, m.shift) == 375);
  CHECK(MultiplyDoubleRounding(1000, m.multiplier, m.shift) == 375);
}

TEST_CASE("double rounding can differ from single rounding by one",
          "[quantization]") {
  // The high multiply rounds first, and the shift rounds its result again.
  const int32_t m = (1 << 30) + 1;  // 0.5 + 2^-31
  // x = 1, shift -1: exact 0.25 + 2^-32 -> 0 in single rounding. Double:
  // high mul = round(0.5 + 2^-31) = 1 (at 2^0 units: (2^30 + 1) * 1 * 2 /
  // 2^31 = 1.0000000005 -> 1), then 1 / 2 = 0.5 rounds away to 1.
  CHECK(MultiplySingleRounding(1, m, -1) == 0);
  CHECK(MultiplyDoubleRounding(1, m, -1) == 1);
}

TEST_CASE("fp32 requantization rounds ties to even and clamps",
          "[quantization]") {
  CHECK(RequantizeFloat(1, 0.5f, 0, -128, 127) == 0);
  CHECK(RequantizeFloat(3, 0.5f, 0, -128, 127) == 2);
  CHECK(RequantizeFloat(-3, 0.5f, 0, -128, 127) == -2);
  CHECK(RequantizeFloat(5, 0.5f, 10, -128, 127) == 12);
  CHECK(RequantizeFloat(1 << 30, 0.5f, 0, -128, 127) == 127);
  CHECK(RequantizeFloat(-(1 << 30), 0.5f, 3, -128, 127) == -128);
}

TEST_CASE("activation ranges", "[quantization]") {
  ActivationRange none = ComputeActivationRange(Activation::kNone, 0.1f, 3);
  CHECK(none.min == -128);
  CHECK(none.max == 127);
  ActivationRange relu6 = ComputeActivationRange(Activation::kRelu6, 0.5f, -10);
  CHECK(relu6.min == -10);
  CHECK(relu6.max == 2);  // -10 + 6 / 0.5
  ActivationRange n1 = ComputeActivationRange(Activation::kReluN1To1, 0.25f, 0);
  CHECK(n1.min == -4);
  CHECK(n1.max == 4);
}

}  // namespace
}  // namespace mcutune::graph

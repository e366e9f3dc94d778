// A small deterministic random number generator for synthesized weights.
//
// The zoo synthesizer must produce the same model bytes for the same seed on
// every machine and standard library, so it cannot use std:: distributions
// (their algorithms are implementation-defined). SplitMix64 is tiny, fast and
// fully specified; doubles are made from the top 53 bits.
#ifndef MCUTUNE_GRAPH_ZOO_PRNG_H_
#define MCUTUNE_GRAPH_ZOO_PRNG_H_

#include <cstdint>

namespace mcutune::graph::zoo {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

 private:
  uint64_t state_;
};

// The project's input generator (see tests/oracle/tflite_oracle.js):
// s = s * 1103515245 + 12345 mod 2^32; x = ((s >> 16) & 255) - 128.
class LcgInput {
 public:
  explicit LcgInput(uint32_t seed) : state_(seed) {}

  int8_t Next() {
    state_ = state_ * 1103515245u + 12345u;
    return static_cast<int8_t>(static_cast<int>((state_ >> 16) & 255) - 128);
  }

 private:
  uint32_t state_;
};

}  // namespace mcutune::graph::zoo

#endif  // MCUTUNE_GRAPH_ZOO_PRNG_H_

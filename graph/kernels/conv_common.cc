// SpatialPad: the one copy that removes all border handling from the
// convolution loop nests.
#include "graph/kernels/conv_common.h"

#include <algorithm>
#include <cstring>

namespace mcutune::graph {

void SpatialPad(const SpatialGeometry& g, const int8_t* image, int8_t fill,
                std::vector<int8_t>* padded) {
  const int ph = g.padded_h(), pw = g.padded_w(), c = g.in_c;
  padded->assign(static_cast<size_t>(ph) * pw * c, fill);
  // Input column range that lands inside the padded image.
  const int x_begin = std::max(0, -g.pad_left);
  const int x_end = std::min(g.in_w, pw - g.pad_left);
  if (x_end <= x_begin) return;
  for (int y = 0; y < ph; ++y) {
    const int iy = y - g.pad_top;
    if (iy < 0 || iy >= g.in_h) continue;
    std::memcpy(padded->data() + (static_cast<size_t>(y) * pw +
                                  (x_begin + g.pad_left)) * c,
                image + (static_cast<size_t>(iy) * g.in_w + x_begin) * c,
                static_cast<size_t>(x_end - x_begin) * c);
  }
}

}  // namespace mcutune::graph

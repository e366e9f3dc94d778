// Stream-copy replay (stream_copies.h): the bookkeeping of
// codegen/patch_emitter.cc's Stream() without its checks or C text. Per
// patch (raster order) and stage operator whose output T is a per-patch
// tensor:
// - loads: the columns left of the computed span from the column buffer,
//   the rows above it from the line buffer;
// - saves: the overlap columns for the next patch of the row (moving what
//   the column buffer still holds first), and, for stream-2D, the overlap
//   rows for the next row of patches (same for the line buffer).
#include "cost_model/stream_copies.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace mcutune::cost_model {

CopyCounts ReplayStreamCopies(const space::PatchGeometry& g) {
  CopyCounts out;
  auto copy = [&](int64_t rows, int64_t row_bytes) {
    if (rows <= 0 || row_bytes <= 0) return;
    out.calls += 1;
    out.rows += static_cast<double>(rows);
    out.bytes += static_cast<double>(rows) * static_cast<double>(row_bytes);
  };
  struct Col {
    int x0 = 0, x1 = 0, y0 = 0, y1 = 0;
  };
  std::vector<Col> cols(g.tensors.size());
  std::vector<std::vector<std::pair<int, int>>> lines(g.tensors.size());
  const int n = g.n_patch;
  for (int p = 0; p < n * n; ++p) {
    const int r = p / n, cc = p % n;
    for (size_t i = 0; i < g.ops.size(); ++i) {
      const int ti = g.op_tensor[i];
      const space::StageTensor& st = g.tensors[ti];
      if (st.full) continue;
      const space::Span ny = st.need_y[r], nx = st.need_x[cc];
      if (ny.empty() || nx.empty()) continue;
      const space::Span cy = st.comp_y[r], cx = st.comp_x[cc];
      const int fy = cy.empty() ? ny.hi : cy.lo;
      const int fx = cx.empty() ? nx.hi : cx.lo;
      const bool xs = st.mode != space::StageMode::kRecompute;
      const bool ys = st.mode == space::StageMode::kStream2D;
      const int64_t ch = st.channels;
      if (fx > nx.lo) copy(ny.size(), (fx - nx.lo) * ch);
      if (fy > ny.lo && fx < nx.hi) copy(fy - ny.lo, (nx.hi - fx) * ch);
      Col& col = cols[ti];
      if (cc == 0) col = {};
      if (xs && cc + 1 < n && !st.need_x[cc + 1].empty()) {
        const int x0 = std::max(st.need_x[cc + 1].lo, nx.lo);
        const bool old_rows = col.y0 == ny.lo && col.y1 == ny.hi;
        const int hi = std::max(nx.hi, old_rows ? col.x1 : nx.hi);
        const int keep = std::max(nx.hi, x0);
        if (hi > x0) {
          if (keep < hi) copy(ny.size(), (hi - keep) * ch);
          if (x0 < nx.hi) copy(ny.size(), (nx.hi - x0) * ch);
          col = {x0, hi, ny.lo, ny.hi};
        } else {
          col = {};
        }
      }
      if (ys && r + 1 < n && !st.need_y[r + 1].empty() && !cx.empty()) {
        std::vector<std::pair<int, int>>& l = lines[ti];
        l.resize(st.width, {-1, -1});
        const int y0 = std::max(st.need_y[r + 1].lo, ny.lo);
        const std::pair<int, int> old = l[cx.lo];
        const int hi = std::max(ny.hi, old.first >= 0 ? old.second : ny.hi);
        const int keep = std::max(ny.hi, y0);
        if (hi > y0) {
          if (keep < hi) copy(hi - keep, cx.size() * ch);
          if (y0 < ny.hi) copy(ny.hi - y0, cx.size() * ch);
          for (int xx = cx.lo; xx < cx.hi; ++xx) l[xx] = {y0, hi};
        }
      }
    }
  }
  return out;
}

}  // namespace mcutune::cost_model

// Stream-buffer copies of a stream-1D / stream-2D / hybrid patch stage:
// how many 2-D copies (mcuk_copy_2d or row memmoves) the patch emitter
// generates, how many rows and bytes they move. Features count them
// (copy.calls, copy.rows, copy.bytes); a test checks the calls against the
// emitted code. Pure function, thread-safe.
#ifndef MCUTUNE_COST_MODEL_STREAM_COPIES_H_
#define MCUTUNE_COST_MODEL_STREAM_COPIES_H_

#include "tuner/space/patch_geometry.h"

namespace mcutune::cost_model {

struct CopyCounts {
  double calls = 0;
  double rows = 0;
  double bytes = 0;
};

// Replays codegen/patch_emitter.cc's loads and saves over `geometry`
// (computed with uniform = false: the emitter's regions). Recompute-mode
// tensors copy nothing.
CopyCounts ReplayStreamCopies(const space::PatchGeometry& geometry);

}  // namespace mcutune::cost_model

#endif  // MCUTUNE_COST_MODEL_STREAM_COPIES_H_

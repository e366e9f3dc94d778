// Test helper: a corpus of hostile .tflite files, generated on the fly (never
// committed) from a small synthesized model, for the hostile-input tests of
// the CLI and the daemon (tests/server/hostile_models_test.cc).
//
//   zoo architecture ──Synthesize──► Graph ──WriteTflite──► base bytes
//        │                                                    │ patched in place
//        │ names replaced (still valid)                       ▼ (flatbuffer offsets)
//        ▼                                       truncations, bit flips, garbage,
//   valid models whose names carry paths,        absurd / overflowing dims, huge
//   shell metacharacters, C comment breakers,    vector lengths, cycles, dangling
//   control bytes                                indices, quantization mismatches
//
// Structural corruptions are made by locating a field in the written
// flatbuffer through the read-only accessors and overwriting its bytes (or
// shrinking a vector's length prefix), so every case differs from a valid
// model in exactly the way its name says. Each case carries what the importer
// must answer: kInvalid with a fragment of the message, kValid, or kEither
// for random bit flips (then the in-process importer is the reference).
#ifndef MCUTUNE_TESTS_TESTING_HOSTILE_MODELS_H_
#define MCUTUNE_TESTS_TESTING_HOSTILE_MODELS_H_

#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/schema/tflite_subset_generated.h"
#include "graph/tflite_writer.h"
#include "graph/zoo/architecture.h"
#include "graph/zoo/synthesizer.h"
#include "tests/graph/raw_tflite.h"

namespace mcutune::testing {

enum class Verdict { kInvalid, kValid, kEither };

struct HostileModel {
  std::string name;  // [a-z0-9-], usable as a file name
  std::string bytes;
  Verdict verdict = Verdict::kInvalid;
  // kInvalid: a fragment the error message must contain.
  std::string needle;
};

// Files a shell-interpreted name in the corpus would create.
inline const std::vector<std::string>& PwnedCanaries() {
  static const std::vector<std::string> paths = {
      "/tmp/mcutune_hostile_pwned", "/tmp/mcutune_hostile_pwned2",
      "/tmp/mcutune_hostile_pwned3"};
  return paths;
}

// 8x8x3 input, 3x3 conv (8 channels, per-channel filter quantization),
// depthwise-separable block, global average pool, fc to 4, softmax.
inline graph::Graph HostileBaseGraph() {
  absl::StatusOr<graph::zoo::Architecture> arch =
      graph::zoo::ParseArchitecture(R"({"name": "hostile-base",
        "input": [8, 8, 3], "activation": "relu",
        "layers": ["conv_k3_s1_c8", "ds_k3_s1_c8", "pool_avg", "fc_c4",
                   "softmax"]})");
  if (!arch.ok()) throw std::runtime_error(std::string(arch.status().message()));
  absl::StatusOr<graph::Graph> g = graph::zoo::Synthesize(*arch, 7);
  if (!g.ok()) throw std::runtime_error(std::string(g.status().message()));
  return *g;
}

inline std::string GraphBytes(const graph::Graph& g) {
  absl::StatusOr<std::vector<uint8_t>> b = graph::WriteTflite(g);
  if (!b.ok()) throw std::runtime_error(std::string(b.status().message()));
  return std::string(b->begin(), b->end());
}

// In-place edits of a serialized model, addressed through its accessors.
class ModelPatcher {
 public:
  explicit ModelPatcher(std::string bytes) : bytes_(std::move(bytes)) {}

  const tflite_fb::Model* model() const {
    return tflite_fb::GetModel(bytes_.data());
  }
  const tflite_fb::SubGraph* subgraph() const {
    return model()->subgraphs()->Get(0);
  }
  const tflite_fb::Operator* op(int i) const {
    return subgraph()->operators()->Get(i);
  }
  const tflite_fb::Tensor* tensor(int i) const {
    return subgraph()->tensors()->Get(i);
  }
  int num_ops() const { return subgraph()->operators()->size(); }
  int num_tensors() const { return subgraph()->tensors()->size(); }
  int builtin_code(int op_index) const {
    const auto* oc = model()->operator_codes()->Get(op(op_index)->opcode_index());
    return std::max<int>(oc->deprecated_builtin_code(), oc->builtin_code());
  }
  // The first operator with builtin `code` (3 CONV_2D, 4 DEPTHWISE_CONV_2D).
  int FindOp(int code) const {
    for (int i = 0; i < num_ops(); ++i) {
      if (builtin_code(i) == code) return i;
    }
    throw std::runtime_error("hostile base model lacks an operator");
  }

  template <typename T>
  void Put(const void* at, T value) {
    std::memcpy(&bytes_[Offset(at)], &value, sizeof(T));
  }
  // The length prefix of the vector whose first element is at `data`.
  void SetVectorLength(const void* data, uint32_t n) {
    Put<uint32_t>(static_cast<const char*>(data) - 4, n);
  }
  // Address of a scalar field, nullptr when it is absent (default value).
  static const uint8_t* Field(const void* table, uint16_t vt) {
    return reinterpret_cast<const flatbuffers::Table*>(table)->GetAddressOf(vt);
  }

  const std::string& bytes() const { return bytes_; }

 private:
  size_t Offset(const void* p) const {
    const size_t off = static_cast<const char*>(p) - bytes_.data();
    if (off >= bytes_.size()) throw std::runtime_error("patch outside model");
    return off;
  }
  std::string bytes_;
};

// The corpus. `base` is HostileBaseGraph() (passed in so callers share it).
inline std::vector<HostileModel> HostileCorpus(const graph::Graph& base) {
  namespace fb = tflite_fb;
  const std::string good = GraphBytes(base);
  std::vector<HostileModel> out;
  auto invalid = [&](std::string name, std::string bytes, std::string needle) {
    out.push_back({std::move(name), std::move(bytes), Verdict::kInvalid,
                   std::move(needle)});
  };
  auto patched = [&](std::string name, std::string needle, auto&& edit) {
    ModelPatcher p(good);
    edit(p);
    invalid(std::move(name), p.bytes(), std::move(needle));
  };

  // Not a model at all, or not all of one.
  invalid("empty", "", "only 0 bytes");
  invalid("truncated-4", good.substr(0, 4), "only 4 bytes");
  invalid("truncated-16", good.substr(0, 16), "TFLite model");
  invalid("truncated-half", good.substr(0, good.size() / 2), "TFLite model");
  invalid("truncated-last-byte", good.substr(0, good.size() - 1),
          "TFLite model");
  {
    std::string b = good;
    b.replace(4, 4, "XFL3");
    invalid("bad-identifier", b, "file identifier 'XFL3'");
  }
  invalid("text", std::string(2000, 'A') + "\nnot a model\n", "TFLite model");
  invalid("all-0xff", std::string(4096, '\xff'), "TFLite model");
  {
    std::string elf = "\x7f" "ELF\x02\x01\x01";
    elf.resize(4096, '\0');
    invalid("elf-header", elf, "file identifier");
    std::mt19937 rng(99);
    std::string noise(64 * 1024, '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    invalid("random-64k", noise, "TFLite model");
  }
  for (uint32_t seed = 1; seed <= 8; ++seed) {
    std::mt19937 rng(seed);
    std::string b = good;
    const int flips = static_cast<int>(seed);  // 1..8 bits
    for (int f = 0; f < flips; ++f) {
      b[rng() % b.size()] ^= static_cast<char>(1u << (rng() % 8));
    }
    out.push_back({"bitflip-" + std::to_string(seed), b, Verdict::kEither, ""});
  }

  // Shapes: absurd, overflowing int32 / int64 products, negative.
  auto reshape = [&](std::vector<int32_t> dims) {
    return [dims](ModelPatcher& p) {
      const int conv = p.FindOp(3);
      const fb::Tensor* t = p.tensor(p.op(conv)->outputs()->Get(0));
      const int32_t* d = t->shape()->data();
      for (size_t i = 0; i < dims.size(); ++i) p.Put<int32_t>(d + i, dims[i]);
    };
  };
  patched("dims-huge", "1048576", reshape({1, 1 << 20, 1 << 20, 8}));
  patched("dims-product-overflows-int32", "65536",
          reshape({1, 65536, 65536, 1}));  // 2^32: 0 in 32-bit arithmetic
  patched("dims-product-overflows-int64", "2147483647",
          reshape({2147483647, 2147483647, 2147483647, 2147483647}));
  patched("dims-negative", "dimension -8", reshape({1, -8, 8, 8}));

  // Vector lengths and buffer sizes near 2^32.
  patched("tensor-count-2^32", "TFLite model", [](ModelPatcher& p) {
    p.SetVectorLength(p.subgraph()->tensors()->data(), 0xFFFFFFFFu);
  });
  patched("shape-length-2^30", "TFLite model", [](ModelPatcher& p) {
    p.SetVectorLength(p.tensor(0)->shape()->data(), 1u << 30);
  });
  auto filter_tensor = [](const ModelPatcher& p) {
    return p.op(p.FindOp(3))->inputs()->Get(1);
  };
  patched("buffer-size-2^32", "TFLite model", [&](ModelPatcher& p) {
    const fb::Tensor* t = p.tensor(filter_tensor(p));
    p.SetVectorLength(p.model()->buffers()->Get(t->buffer())->data()->data(),
                      0xFFFFFFF0u);
  });
  patched("buffer-one-byte-short", "bytes of constant data",
          [&](ModelPatcher& p) {
            const fb::Tensor* t = p.tensor(filter_tensor(p));
            const auto* data = p.model()->buffers()->Get(t->buffer())->data();
            p.SetVectorLength(data->data(), data->size() - 1);
          });
  {
    // Buffers given by (offset, size) into the file: past the end, and an
    // offset + size that wraps around 2^64.
    RawModel m = SmallConvModel();
    m.buffers[1].clear();
    m.offset_buffers.push_back({1, {64, (uint64_t{1} << 32) - 1}});
    const std::vector<uint8_t> b1 = Serialize(m);
    invalid("buffer-offset-size-2^32", std::string(b1.begin(), b1.end()),
            "lies outside");
    m.offset_buffers.back() = {1, {std::numeric_limits<uint64_t>::max() - 3, 6}};
    const std::vector<uint8_t> b2 = Serialize(m);
    invalid("buffer-offset-wraps-2^64", std::string(b2.begin(), b2.end()),
            "lies outside");
  }

  // Graph structure: cycles and dangling indices.
  patched("operator-cycle", "cycle", [](ModelPatcher& p) {
    const int last = p.num_ops() - 1;
    p.Put<int32_t>(p.op(0)->inputs()->data(), p.op(last)->outputs()->Get(0));
  });
  patched("self-loop", "cycle", [](ModelPatcher& p) {
    const int conv = p.FindOp(3);
    p.Put<int32_t>(p.op(conv)->inputs()->data(),
                   p.op(conv)->outputs()->Get(0));
  });
  patched("dangling-op-input", "reads tensor 99999", [](ModelPatcher& p) {
    p.Put<int32_t>(p.op(1)->inputs()->data(), 99999);
  });
  patched("negative-op-input", "tensor -7", [](ModelPatcher& p) {
    p.Put<int32_t>(p.op(1)->inputs()->data(), -7);
  });
  patched("dangling-op-output", "writes tensor 424242", [](ModelPatcher& p) {
    p.Put<int32_t>(p.op(0)->outputs()->data(), 424242);
  });
  patched("dangling-graph-output", "graph output refers to tensor 77777",
          [](ModelPatcher& p) {
            p.Put<int32_t>(p.subgraph()->outputs()->data(), 77777);
          });
  patched("dangling-buffer-index", "refers to buffer 5000",
          [&](ModelPatcher& p) {
            const fb::Tensor* t = p.tensor(filter_tensor(p));
            p.Put<uint32_t>(ModelPatcher::Field(t, fb::Tensor::VT_BUFFER), 5000);
          });
  patched("dangling-opcode-index", "is out of range", [](ModelPatcher& p) {
    for (int i = 0; i < p.num_ops(); ++i) {
      if (const uint8_t* f =
              ModelPatcher::Field(p.op(i), fb::Operator::VT_OPCODE_INDEX)) {
        p.Put<uint32_t>(f, 250);
        return;
      }
    }
  });

  // Quantization arrays that do not match the tensor.
  auto filter_quant = [&](const ModelPatcher& p) {
    return p.tensor(filter_tensor(p))->quantization();
  };
  patched("per-channel-scale-count", "per-channel scales",
          [&](ModelPatcher& p) {
            // 5 scales and zero points for 8 output channels.
            p.SetVectorLength(filter_quant(p)->scale()->data(), 5);
            p.SetVectorLength(filter_quant(p)->zero_point()->data(), 5);
          });
  patched("zero-point-count", "3 zero points", [&](ModelPatcher& p) {
    p.SetVectorLength(filter_quant(p)->zero_point()->data(), 3);
  });
  patched("quantized-dimension-out-of-range", "quantized_dimension 9",
          [](ModelPatcher& p) {
            const int dw = p.FindOp(4);
            const fb::Tensor* t = p.tensor(p.op(dw)->inputs()->Get(1));
            p.Put<int32_t>(
                ModelPatcher::Field(t->quantization(),
                                    fb::QuantizationParameters::VT_QUANTIZED_DIMENSION),
                9);
          });
  patched("scale-nan", "non-finite scale", [&](ModelPatcher& p) {
    p.Put<float>(filter_quant(p)->scale()->data() + 2,
                 std::numeric_limits<float>::quiet_NaN());
  });
  patched("zero-point-300", "zero point 300", [](ModelPatcher& p) {
    const fb::Tensor* t = p.tensor(p.subgraph()->inputs()->Get(0));
    p.Put<int64_t>(t->quantization()->zero_point()->data(), 300);
  });
  patched("schema-version-2", "schema version 2", [](ModelPatcher& p) {
    p.Put<uint32_t>(ModelPatcher::Field(p.model(), fb::Model::VT_VERSION), 2);
  });

  // Valid models whose names are hostile: they must be handled as data.
  const std::vector<std::pair<std::string, std::string>> names = {
      {"name-path-traversal", "../../etc/passwd"},
      {"name-slashes", "a/b/../../c"},
      {"name-shell-subst", "$(touch /tmp/mcutune_hostile_pwned)"},
      {"name-shell-backticks", "`touch /tmp/mcutune_hostile_pwned2`;rm -rf /"},
      {"name-c-comment", "*/ int mcutune_injected = 1; /* \n#error injected\n"},
      {"name-control-bytes", "line1\nline2\r\x1b[2J\x07\xff\xfe%s%n"},
      {"name-very-long", std::string(4096, 'n') + "$(touch /tmp/mcutune_hostile_pwned3)"},
  };
  for (const auto& [case_name, text] : names) {
    graph::Graph g = base;
    g.name = text;
    for (size_t t = 0; t < g.tensors.size(); ++t) {
      g.tensors[t].name = text + "#" + std::to_string(t);
    }
    out.push_back({case_name, GraphBytes(g), Verdict::kValid, ""});
  }
  return out;
}

}  // namespace mcutune::testing

#endif  // MCUTUNE_TESTS_TESTING_HOSTILE_MODELS_H_

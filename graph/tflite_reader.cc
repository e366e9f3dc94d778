// TFLite import.
//
// - Size and identifier checks, then the flatbuffers verifier over the whole
//   file (on a 16-byte aligned copy if the caller's bytes are misaligned);
//   nothing is read before the verifier accepts the buffer.
// - Operators first (so an unsupported operator is reported as such rather
//   than as one of its unusual tensors), then tensors, buffers (inline or at an
//   offset after the flatbuffer, bounds-checked) and graph inputs/outputs.
// - Options are translated into OpOptions; the depthwise multiplier is
//   derived from the shapes, as current TFLite does.
// - The result goes through ValidateGraph().
#include "graph/tflite_reader.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/builtin_operator_names.h"
#include "graph/schema/tflite_subset_generated.h"

namespace mcutune::graph {
namespace fb = ::mcutune::tflite_fb;

const char* BuiltinOperatorName(int code) {
  constexpr int n = sizeof(kBuiltinOperatorNames) / sizeof(kBuiltinOperatorNames[0]);
  return (code >= 0 && code < n) ? kBuiltinOperatorNames[code] : "UNKNOWN";
}

namespace {

absl::Status Invalid(const std::string& msg) {
  return absl::InvalidArgumentError(msg);
}

DataType MapType(fb::TensorType t) {
  switch (t) {
    case fb::TensorType::INT8: return DataType::kInt8;
    case fb::TensorType::INT32: return DataType::kInt32;
    case fb::TensorType::INT16: return DataType::kInt16;
    case fb::TensorType::UINT8: return DataType::kUInt8;
    case fb::TensorType::FLOAT32: return DataType::kFloat32;
    case fb::TensorType::INT64: return DataType::kInt64;
    default: return DataType::kOther;
  }
}

absl::StatusOr<Activation> MapActivation(fb::ActivationFunctionType a,
                                         const std::string& label) {
  switch (a) {
    case fb::ActivationFunctionType::NONE: return Activation::kNone;
    case fb::ActivationFunctionType::RELU: return Activation::kRelu;
    case fb::ActivationFunctionType::RELU6: return Activation::kRelu6;
    case fb::ActivationFunctionType::RELU_N1_TO_1: return Activation::kReluN1To1;
    default:
      return absl::UnimplementedError(absl::StrCat(
          label, ": fused activation ", static_cast<int>(a), " (",
          fb::EnumNameActivationFunctionType(a), ") is not supported"));
  }
}

absl::StatusOr<Padding> MapPadding(fb::Padding p, const std::string& label) {
  if (p == fb::Padding::SAME) return Padding::kSame;
  if (p == fb::Padding::VALID) return Padding::kValid;
  return Invalid(absl::StrCat(label, ": padding ", static_cast<int>(p),
                              " is neither SAME nor VALID"));
}

absl::StatusOr<OpType> MapOperator(int code, const std::string& label) {
  switch (code) {
    case 0: return OpType::kAdd;
    case 1: return OpType::kAveragePool2D;
    case 2: return OpType::kConcatenation;
    case 3: return OpType::kConv2D;
    case 4: return OpType::kDepthwiseConv2D;
    case 9: return OpType::kFullyConnected;
    case 17: return OpType::kMaxPool2D;
    case 22: return OpType::kReshape;
    case 25: return OpType::kSoftmax;
    case 34: return OpType::kPad;
    case 39: return OpType::kTranspose;
    case 40: return OpType::kMean;
    default:
      return absl::UnimplementedError(
          absl::StrCat(label, ": unsupported operator ",
                       BuiltinOperatorName(code), " (builtin code ", code, ")"));
  }
}

template <typename T>
std::vector<int> ToInts(const flatbuffers::Vector<T>* v) {
  return v ? std::vector<int>(v->begin(), v->end()) : std::vector<int>{};
}

// Translates one operator's builtin options; `type` already mapped.
absl::Status ReadOptions(const fb::Operator& op, OpType type,
                         const std::string& label, OpOptions& o) {
  const auto got = op.builtin_options_type();
  auto expect = [&](fb::BuiltinOptions want) -> absl::Status {
    if (got != fb::BuiltinOptions::NONE && got != want) {
      return Invalid(absl::StrCat(label, ": builtin options of type ",
                                  static_cast<int>(got), ", expected ",
                                  fb::EnumNameBuiltinOptions(want)));
    }
    return absl::OkStatus();
  };
  absl::StatusOr<Activation> act = Activation::kNone;
  absl::StatusOr<Padding> pad = Padding::kValid;
  switch (type) {
    case OpType::kConv2D: {
      if (auto s = expect(fb::BuiltinOptions::Conv2DOptions); !s.ok()) return s;
      const auto* c = op.builtin_options_as_Conv2DOptions();
      pad = MapPadding(c ? c->padding() : fb::Padding::SAME, label);
      act = MapActivation(c ? c->fused_activation_function() : fb::ActivationFunctionType::NONE, label);
      o.stride_w = c ? c->stride_w() : 0;
      o.stride_h = c ? c->stride_h() : 0;
      o.dilation_w = c ? c->dilation_w_factor() : 1;
      o.dilation_h = c ? c->dilation_h_factor() : 1;
      break;
    }
    case OpType::kDepthwiseConv2D: {
      if (auto s = expect(fb::BuiltinOptions::DepthwiseConv2DOptions); !s.ok()) return s;
      const auto* c = op.builtin_options_as_DepthwiseConv2DOptions();
      pad = MapPadding(c ? c->padding() : fb::Padding::SAME, label);
      act = MapActivation(c ? c->fused_activation_function() : fb::ActivationFunctionType::NONE, label);
      o.stride_w = c ? c->stride_w() : 0;
      o.stride_h = c ? c->stride_h() : 0;
      o.dilation_w = c ? c->dilation_w_factor() : 1;
      o.dilation_h = c ? c->dilation_h_factor() : 1;
      o.depth_multiplier = c ? c->depth_multiplier() : 0;
      break;
    }
    case OpType::kAveragePool2D:
    case OpType::kMaxPool2D: {
      if (auto s = expect(fb::BuiltinOptions::Pool2DOptions); !s.ok()) return s;
      const auto* c = op.builtin_options_as_Pool2DOptions();
      pad = MapPadding(c ? c->padding() : fb::Padding::SAME, label);
      act = MapActivation(c ? c->fused_activation_function() : fb::ActivationFunctionType::NONE, label);
      o.stride_w = c ? c->stride_w() : 0;
      o.stride_h = c ? c->stride_h() : 0;
      o.filter_w = c ? c->filter_width() : 0;
      o.filter_h = c ? c->filter_height() : 0;
      break;
    }
    case OpType::kFullyConnected: {
      if (auto s = expect(fb::BuiltinOptions::FullyConnectedOptions); !s.ok()) return s;
      const auto* c = op.builtin_options_as_FullyConnectedOptions();
      act = MapActivation(c ? c->fused_activation_function() : fb::ActivationFunctionType::NONE, label);
      if (c && c->weights_format() != 0) {
        return absl::UnimplementedError(absl::StrCat(
            label, ": shuffled weights format ", c->weights_format(), " is not supported"));
      }
      o.keep_num_dims = c && c->keep_num_dims();
      break;
    }
    case OpType::kAdd: {
      if (auto s = expect(fb::BuiltinOptions::AddOptions); !s.ok()) return s;
      const auto* c = op.builtin_options_as_AddOptions();
      act = MapActivation(c ? c->fused_activation_function() : fb::ActivationFunctionType::NONE, label);
      break;
    }
    case OpType::kSoftmax: {
      if (auto s = expect(fb::BuiltinOptions::SoftmaxOptions); !s.ok()) return s;
      const auto* c = op.builtin_options_as_SoftmaxOptions();
      o.beta = c ? c->beta() : 1.0f;
      break;
    }
    case OpType::kConcatenation: {
      if (auto s = expect(fb::BuiltinOptions::ConcatenationOptions); !s.ok()) return s;
      const auto* c = op.builtin_options_as_ConcatenationOptions();
      act = MapActivation(c ? c->fused_activation_function() : fb::ActivationFunctionType::NONE, label);
      o.axis = c ? c->axis() : 0;
      break;
    }
    case OpType::kMean: {
      if (auto s = expect(fb::BuiltinOptions::ReducerOptions); !s.ok()) return s;
      const auto* c = op.builtin_options_as_ReducerOptions();
      o.keep_dims = c && c->keep_dims();
      break;
    }
    case OpType::kReshape:
    case OpType::kPad:
    case OpType::kTranspose:
      break;  // options carry nothing we need (reshape's shape is the output's)
  }
  if (!act.ok()) return act.status();
  if (!pad.ok()) return pad.status();
  o.activation = *act;
  o.padding = *pad;
  return absl::OkStatus();
}

class Importer {
 public:
  Importer(const fb::Model& model, absl::Span<const uint8_t> file)
      : model_(model), file_(file) {}
  absl::StatusOr<Graph> Run();

 private:
  absl::Status ReadOperators(const fb::SubGraph& sg);
  absl::Status ReadTensors(const fb::SubGraph& sg);
  absl::StatusOr<int> ReadBuffer(uint32_t index, const std::string& label);
  void NormaliseAfterTensors();

  const fb::Model& model_;
  absl::Span<const uint8_t> file_;
  Graph g_;
  std::map<uint32_t, int> buffer_map_;  // TFLite buffer index -> g_.buffers
};

absl::Status Importer::ReadOperators(const fb::SubGraph& sg) {
  const auto* codes = model_.operator_codes();
  const auto* ops = sg.operators();
  if (!ops || ops->size() == 0) return Invalid("the model has no operators");
  if (ops->size() > static_cast<uint32_t>(kMaxOps)) {
    return Invalid(absl::StrCat("the model has ", ops->size(), " operators"));
  }
  g_.ops.reserve(ops->size());
  absl::Status first_error;
  std::vector<std::string> unsupported;
  for (uint32_t i = 0; i < ops->size(); ++i) {
    const fb::Operator& op = *ops->Get(i);
    std::string label = absl::StrCat("operator ", i);
    if (!codes || op.opcode_index() >= codes->size()) {
      return Invalid(absl::StrCat(label, ": opcode index ", op.opcode_index(),
                                  " is out of range (", codes ? codes->size() : 0,
                                  " operator codes)"));
    }
    const fb::OperatorCode& oc = *codes->Get(op.opcode_index());
    const int code = std::max<int>(oc.deprecated_builtin_code(), oc.builtin_code());
    if (code == 32) {  // CUSTOM
      return absl::UnimplementedError(absl::StrCat(
          label, ": unsupported custom operator '",
          oc.custom_code() ? oc.custom_code()->str() : "", "'"));
    }
    absl::StatusOr<OpType> type = MapOperator(code, label);
    if (!type.ok()) {
      unsupported.push_back(absl::StrCat(BuiltinOperatorName(code), " (operator ", i, ")"));
      if (first_error.ok()) first_error = type.status();
      continue;
    }
    label = absl::StrCat(label, " (", OpTypeName(*type), ")");
    Operator out;
    out.type = *type;
    out.inputs = ToInts(op.inputs());
    out.outputs = ToInts(op.outputs());
    if (auto s = ReadOptions(op, *type, label, out.options); !s.ok()) return s;
    g_.ops.push_back(std::move(out));
  }
  if (unsupported.size() > 1) {
    return absl::UnimplementedError(absl::StrCat(
        "unsupported operators: ", absl::StrJoin(unsupported, ", ")));
  }
  return first_error;
}

absl::StatusOr<int> Importer::ReadBuffer(uint32_t index, const std::string& label) {
  if (index == 0) return -1;  // buffer 0 is the conventional empty buffer
  const auto* buffers = model_.buffers();
  if (!buffers || index >= buffers->size()) {
    return Invalid(absl::StrCat(label, " refers to buffer ", index, " of ",
                                buffers ? buffers->size() : 0));
  }
  if (auto it = buffer_map_.find(index); it != buffer_map_.end()) return it->second;
  const fb::Buffer& b = *buffers->Get(index);
  std::vector<uint8_t> data;
  if (b.data() && b.data()->size() > 0) {
    data.assign(b.data()->data(), b.data()->data() + b.data()->size());
  } else if (b.offset() > 1) {
    const uint64_t off = b.offset(), size = b.size();
    if (off > file_.size() || size > file_.size() - off) {
      return Invalid(absl::StrCat(label, ": buffer ", index, " at offset ", off,
                                  " size ", size, " lies outside the ",
                                  file_.size(), "-byte file"));
    }
    data.assign(file_.begin() + off, file_.begin() + off + size);
  } else {
    return -1;  // no data: an activation
  }
  g_.buffers.push_back(std::move(data));
  const int ours = static_cast<int>(g_.buffers.size()) - 1;
  buffer_map_[index] = ours;
  return ours;
}

absl::Status Importer::ReadTensors(const fb::SubGraph& sg) {
  const auto* tensors = sg.tensors();
  if (!tensors || tensors->size() == 0) return Invalid("the model has no tensors");
  if (tensors->size() > static_cast<uint32_t>(kMaxTensors)) {
    return Invalid(absl::StrCat("the model has ", tensors->size(), " tensors"));
  }
  g_.tensors.reserve(tensors->size());
  for (uint32_t i = 0; i < tensors->size(); ++i) {
    const fb::Tensor& t = *tensors->Get(i);
    Tensor out;
    out.name = t.name() ? t.name()->str() : "";
    const std::string label = absl::StrCat("tensor ", i, " '", out.name, "'");
    out.type = MapType(t.type());
    if (t.shape()) {
      if (t.shape()->size() > static_cast<uint32_t>(kMaxRank)) {
        return Invalid(absl::StrCat(label, " has rank ", t.shape()->size(),
                                    " (max ", kMaxRank, ")"));
      }
      out.shape.assign(t.shape()->begin(), t.shape()->end());
    }
    if (t.sparsity()) {
      return absl::UnimplementedError(absl::StrCat(label, " is sparse"));
    }
    if (t.is_variable()) {
      return absl::UnimplementedError(absl::StrCat(label, " is a variable tensor"));
    }
    if (const auto* q = t.quantization()) {
      if (q->details_type() != fb::QuantizationDetails::NONE) {
        return absl::UnimplementedError(
            absl::StrCat(label, " uses custom quantization"));
      }
      if (q->scale()) out.quant.scale.assign(q->scale()->begin(), q->scale()->end());
      if (const auto* zp = q->zero_point()) {
        // flatbuffers 2.0's verifier checks a vector's length word but not
        // the alignment of 8-byte elements; every writer aligns them, so an
        // unaligned one is a corrupt file (and reading it would be UB).
        if (reinterpret_cast<uintptr_t>(zp->data()) % alignof(int64_t) != 0) {
          return Invalid(absl::StrCat(
              "malformed TFLite model: ", label,
              " has its zero_point vector at a misaligned offset ",
              reinterpret_cast<const uint8_t*>(zp->data()) - file_.data(),
              " (int64 elements need 8-byte alignment)"));
        }
        out.quant.zero_point.assign(zp->begin(), zp->end());
      }
      out.quant.quantized_dimension = q->quantized_dimension();
      // Some converters (TFLM's person_detect) copy the filter's
      // quantized_dimension onto the 1-D bias; TFLite Micro ignores it there.
      if (out.shape.size() == 1 && out.quant.scale.size() > 1 &&
          static_cast<int64_t>(out.quant.scale.size()) == out.shape[0]) {
        out.quant.quantized_dimension = 0;
      }
      // TFLite writes empty-but-present quantization for unquantized tensors.
      if (out.quant.scale.empty() && !out.quant.zero_point.empty() &&
          out.quant.zero_point.size() == 1 && out.quant.zero_point[0] == 0) {
        out.quant.zero_point.clear();
      }
    }
    absl::StatusOr<int> buffer = ReadBuffer(t.buffer(), label);
    if (!buffer.ok()) return buffer.status();
    out.buffer = *buffer;
    g_.tensors.push_back(std::move(out));
  }
  return absl::OkStatus();
}

void Importer::NormaliseAfterTensors() {
  const int nt = static_cast<int>(g_.tensors.size());
  auto shape_of = [&](int t) -> const std::vector<int32_t>* {
    return (t >= 0 && t < nt) ? &g_.tensors[t].shape : nullptr;
  };
  for (Operator& op : g_.ops) {
    if (op.type == OpType::kDepthwiseConv2D && op.inputs.size() >= 2) {
      const auto* in = shape_of(op.inputs[0]);
      const auto* f = shape_of(op.inputs[1]);
      if (in && f && in->size() == 4 && f->size() == 4 && (*in)[3] > 0) {
        op.options.depth_multiplier = (*f)[3] / (*in)[3];
      }
    }
    if (op.type == OpType::kConcatenation && !op.inputs.empty()) {
      const auto* in = shape_of(op.inputs[0]);
      if (in && op.options.axis < 0) op.options.axis += static_cast<int>(in->size());
    }
  }
}

absl::StatusOr<Graph> Importer::Run() {
  if (model_.version() != 3) {
    return absl::UnimplementedError(absl::StrCat(
        "TFLite schema version ", model_.version(), " (only version 3 is supported)"));
  }
  const auto* subgraphs = model_.subgraphs();
  if (!subgraphs || subgraphs->size() == 0) return Invalid("the model has no subgraph");
  if (subgraphs->size() > 1) {
    return absl::UnimplementedError(absl::StrCat(
        "the model has ", subgraphs->size(),
        " subgraphs; only single-subgraph models are supported"));
  }
  const fb::SubGraph& sg = *subgraphs->Get(0);
  if (auto s = ReadOperators(sg); !s.ok()) return s;
  if (auto s = ReadTensors(sg); !s.ok()) return s;
  NormaliseAfterTensors();
  g_.inputs = ToInts(sg.inputs());
  g_.outputs = ToInts(sg.outputs());
  g_.name = sg.name() ? sg.name()->str() : "";
  if (g_.name.empty() && model_.description()) g_.name = model_.description()->str();
  if (auto s = ValidateGraph(g_); !s.ok()) return s;
  return std::move(g_);
}

}  // namespace

absl::StatusOr<Graph> ImportTflite(absl::Span<const uint8_t> bytes) {
  if (bytes.size() < 8) {
    return Invalid(absl::StrCat("not a TFLite model: only ", bytes.size(), " bytes"));
  }
  if (static_cast<int64_t>(bytes.size()) > kMaxModelFileBytes) {
    return Invalid(absl::StrCat("model of ", bytes.size(), " bytes exceeds the ",
                                kMaxModelFileBytes, "-byte limit"));
  }
  if (!flatbuffers::BufferHasIdentifier(bytes.data(), fb::ModelIdentifier())) {
    std::string id(reinterpret_cast<const char*>(bytes.data()) + 4, 4);
    for (char& c : id) {
      if (c < 32 || c > 126) c = '?';
    }
    return Invalid(absl::StrCat("not a TFLite model: file identifier '", id,
                                "', expected 'TFL3'"));
  }
  // The verifier checks alignment against absolute addresses.
  std::unique_ptr<uint64_t[]> aligned;
  const uint8_t* data = bytes.data();
  if (reinterpret_cast<uintptr_t>(data) % 16 != 0) {
    aligned.reset(new uint64_t[(bytes.size() + 7) / 8 + 1]);
    std::memcpy(aligned.get(), bytes.data(), bytes.size());
    data = reinterpret_cast<const uint8_t*>(aligned.get());
  }
  flatbuffers::Verifier verifier(data, bytes.size(), /*max_depth=*/64,
                                 /*max_tables=*/4'000'000);
  if (!fb::VerifyModelBuffer(verifier)) {
    return Invalid(absl::StrCat(
        "malformed TFLite model: the flatbuffer failed verification (", bytes.size(),
        " bytes; truncated, corrupt or not a model)"));
  }
  const fb::Model* model = fb::GetModel(data);
  return Importer(*model, absl::MakeConstSpan(data, bytes.size())).Run();
}

absl::StatusOr<Graph> ImportTfliteFile(const std::string& path) {
  // Only regular files: a FIFO would block the open forever, a directory or
  // a device has no meaningful size.
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    return absl::NotFoundError(absl::StrCat("cannot open model '", path, "'"));
  }
  if (!std::filesystem::is_regular_file(st)) {
    return Invalid(absl::StrCat("model '", path, "' is not a regular file"));
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open model '", path, "'"));
  const std::streamoff size = in.tellg();
  if (size < 0) return absl::InvalidArgumentError(absl::StrCat("cannot read '", path, "'"));
  if (size > kMaxModelFileBytes) {
    return Invalid(absl::StrCat("model '", path, "' is ", size,
                                " bytes, more than the limit of ", kMaxModelFileBytes));
  }
  // Look at the header first: a large file that is not a model at all is
  // refused without reading (and allocating) all of it.
  std::vector<uint8_t> bytes(static_cast<size_t>(std::min<std::streamoff>(size, 8)));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()))) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read '", path, "'"));
  }
  if (bytes.size() == 8 &&
      flatbuffers::BufferHasIdentifier(bytes.data(), fb::ModelIdentifier())) {
    bytes.resize(static_cast<size_t>(size));
    if (!in.read(reinterpret_cast<char*>(bytes.data()) + 8, size - 8)) {
      return absl::InvalidArgumentError(absl::StrCat("cannot read '", path, "'"));
    }
  }
  absl::StatusOr<Graph> g = ImportTflite(bytes);
  if (!g.ok()) {
    return absl::Status(g.status().code(),
                        absl::StrCat(path, ": ", g.status().message()));
  }
  return g;
}

}  // namespace mcutune::graph

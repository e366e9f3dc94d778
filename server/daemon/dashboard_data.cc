// DashboardData: candidate resolution and the re-planned memory map
// (dashboard_data.h). The farm view, measurements and firmware files are in
// dashboard_farm.cc.
// - The plan is the one the job built: same model bytes, board and
//   constraints (tuner::ConstraintsFor), and for built candidates the
//   execution order recorded in the bundle's report.json; the answer carries
//   the stored peak so a client can see both agree.
// - Per-step SRAM: every SRAM buffer live at the step, aliases counted once
//   (with the buffer whose storage they reuse); activation and patch buffers
//   split into the step's inputs, outputs and other live ones, then stream,
//   overlay (+ DMA) and scratch buffers. Linear in steps + buffers.
#include "server/daemon/dashboard_data.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "graph/analysis.h"
#include "graph/tflite_reader.h"
#include "tuner/job_records.h"
#include "tuner/space/candidate_family.h"
#include "tuner/tune_request.h"

namespace mcutune::server {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct DashboardData::Context {
  graph::Graph graph;
  std::unique_ptr<space::PlanningContext> planning;
  std::vector<space::Candidate> candidates;
};

DashboardData::DashboardData(tuner::Store* store,
                             device_farm::Scheduler* scheduler,
                             AgentRegistry* agents,
                             std::vector<space::BoardSpec> catalogue,
                             DashboardDataOptions options)
    : store_(store),
      scheduler_(scheduler),
      agents_(agents),
      catalogue_(std::move(catalogue)),
      options_(std::move(options)) {}

DashboardData::~DashboardData() = default;

absl::StatusOr<DashboardData::Resolved> DashboardData::Resolve(
    const std::string& job_id, const std::string& key) {
  if (!tuner::IsSafePathComponent(job_id)) {
    return absl::InvalidArgumentError("job id: letters, digits, '.', '_', '-'");
  }
  if (key.empty() || key.size() > 300) {
    return absl::InvalidArgumentError(
        "candidate: a key \"<board>/<id>\" or a candidate id");
  }
  const size_t slash = key.find('/');
  const bool bare = slash == std::string::npos;
  if ((!bare && !tuner::IsSafePathComponent(key.substr(0, slash))) ||
      !tuner::IsSafePathComponent(bare ? key : key.substr(slash + 1))) {
    return absl::InvalidArgumentError(
        "candidate: \"<board>/<id>\" of lowercase letters, digits, '.', '_', "
        "'-'");
  }
  Resolved r;
  absl::StatusOr<tuner::JobRecord> job = store_->GetJob(job_id);
  if (!job.ok()) return job.status();
  r.job = std::move(*job);
  absl::StatusOr<tuner::TuneRequest> request =
      tuner::TuneRequestFromJson(r.job.request_json);
  if (!request.ok()) return request.status();
  r.request = std::move(*request);
  std::string full = key;
  if (bare) {
    if (r.request.board_kinds.size() != 1) {
      return absl::InvalidArgumentError(
          "candidate: the job has several board kinds; give \"<board>/<id>\"");
    }
    full = r.request.board_kinds[0] + "/" + key;
  }
  absl::StatusOr<tuner::CandidateRecord> c = store_->GetCandidate(job_id, full);
  if (!c.ok()) return c.status();
  r.candidate = std::move(*c);
  auto board = std::find_if(catalogue_.begin(), catalogue_.end(),
                            [&](const space::BoardSpec& b) {
                              return b.id == r.candidate.board_kind;
                            });
  if (board == catalogue_.end()) {
    return absl::NotFoundError(absl::StrCat(
        "board kind ", r.candidate.board_kind, " is not in the catalogue"));
  }
  r.board = *board;
  return r;
}

absl::StatusOr<DashboardData::Context*> DashboardData::ContextFor(
    const Resolved& r) {
  const std::string id = r.job.id + "|" + r.board.id;
  for (auto& [k, c] : contexts_) {
    if (k == id) return c.get();
  }
  absl::StatusOr<std::string> bytes = store_->GetModelBytes(r.job.model_id);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<graph::Graph> g =
      graph::ImportTflite(absl::Span<const uint8_t>(
          reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
  if (!g.ok()) return g.status();
  auto ctx = std::make_unique<Context>();
  ctx->graph = std::move(*g);
  space::Constraints constraints = tuner::ConstraintsFor(r.request);
  constraints.keep_plan_details = true;
  ctx->planning = std::make_unique<space::PlanningContext>(
      space::MakePlanningContext(ctx->graph, r.board, constraints));
  for (const auto& family : space::AllCandidateFamilies()) {
    for (space::Candidate& c : family->Candidates(*ctx->planning)) {
      ctx->candidates.push_back(std::move(c));
    }
  }
  contexts_.emplace_back(id, std::move(ctx));
  while (static_cast<int>(contexts_.size()) >
         std::max(1, options_.cached_contexts)) {
    contexts_.pop_front();
  }
  return contexts_.back().second.get();
}

namespace {

// The execution order the bundle was built with (report.json), if any.
void UseBuiltOrder(const std::string& builds_dir, const std::string& rel,
                   int num_ops, space::Candidate* c, std::string* from) {
  if (rel.empty() || fs::path(rel).is_absolute() ||
      rel.find("..") != std::string::npos) {
    return;
  }
  std::ifstream in(fs::path(builds_dir) / rel / "report.json");
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  const Json j = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("candidate")) return;
  const Json& order = j["candidate"].value("order", Json::object());
  // An empty list is the model order (space::ExecutionOrder).
  if (!order.contains("ops") || !order["ops"].is_array() ||
      (!order["ops"].empty() &&
       static_cast<int>(order["ops"].size()) != num_ops)) {
    return;
  }
  std::vector<int> ops;
  std::set<int> seen;
  for (const Json& o : order["ops"]) {
    if (!o.is_number_integer()) return;
    const int v = o.get<int>();
    if (v < 0 || v >= num_ops || !seen.insert(v).second) return;
    ops.push_back(v);
  }
  c->order.ops = std::move(ops);
  *from = "report.json";
}

// Per-step SRAM by role (see the file comment).
Json StepColumns(const graph::Graph& g, const space::Plan& plan, int max_steps,
                 int64_t* peak_live, int* peak_step) {
  const int n = std::min<int>(plan.steps.size(), max_steps);
  const auto& bufs = plan.buffers;
  auto sram = [&](int b) {
    return b >= 0 && b < static_cast<int>(bufs.size()) &&
           bufs[b].memory == space::Memory::kSram;
  };
  auto live = [&](int b, int s) {
    return bufs[b].first_step <= s && s <= bufs[b].last_step;
  };
  // The buffer whose storage `b` uses at step s (itself unless its alias
  // target is live then).
  auto root = [&](int b, int s) {
    for (int hops = 0; hops < 8 && bufs[b].alias_of >= 0 &&
                       sram(bufs[b].alias_of) && live(bufs[b].alias_of, s);
         ++hops) {
      b = bufs[b].alias_of;
    }
    return b;
  };
  enum { kAct, kStream, kOverlay, kScratch, kCats };
  std::vector<std::vector<int64_t>> diff(kCats, std::vector<int64_t>(n + 1, 0));
  for (int b = 0; b < static_cast<int>(bufs.size()); ++b) {
    if (!sram(b)) continue;
    const space::Buffer& x = bufs[b];
    int cat = kAct;
    switch (x.kind) {
      case space::BufferKind::kStream:
        cat = kStream;
        break;
      case space::BufferKind::kOverlay:
      case space::BufferKind::kDma:
      case space::BufferKind::kConstant:
        cat = kOverlay;
        break;
      case space::BufferKind::kScratch:
        cat = kScratch;
        break;
      default:
        break;
    }
    // Live interval minus the steps where its alias target holds it.
    std::vector<std::pair<int, int>> parts = {{x.first_step, x.last_step}};
    if (x.alias_of >= 0 && sram(x.alias_of)) {
      const space::Buffer& t = bufs[x.alias_of];
      parts = {{x.first_step, std::min(x.last_step, t.first_step - 1)},
               {std::max(x.first_step, t.last_step + 1), x.last_step}};
    }
    for (auto [lo, hi] : parts) {
      lo = std::max(lo, 0);
      hi = std::min(hi, n - 1);
      if (lo > hi) continue;
      diff[cat][lo] += x.bytes;
      diff[cat][hi + 1] -= x.bytes;
    }
  }
  Json op = Json::array(), op_type = Json::array(), patch = Json::array(),
       macs = Json::array(), in = Json::array(), out = Json::array(),
       other = Json::array(), stream = Json::array(), overlay = Json::array(),
       scratch = Json::array(), total = Json::array();
  int64_t run[kCats] = {0, 0, 0, 0};
  *peak_live = -1;
  *peak_step = -1;
  for (int s = 0; s < n; ++s) {
    for (int c = 0; c < kCats; ++c) run[c] += diff[c][s];
    const space::Step& st = plan.steps[s];
    std::set<int> written, read;
    for (int b : st.writes) {
      if (sram(b) && live(b, s)) written.insert(root(b, s));
    }
    for (int b : st.reads) {
      if (sram(b) && live(b, s) && !written.count(root(b, s)))
        read.insert(root(b, s));
    }
    auto act_bytes = [&](const std::set<int>& set) {
      int64_t sum = 0;
      for (int b : set) {
        if (bufs[b].kind == space::BufferKind::kActivation ||
            bufs[b].kind == space::BufferKind::kPatch) {
          sum += bufs[b].bytes;
        }
      }
      return sum;
    };
    const int64_t o = act_bytes(written), i = act_bytes(read);
    const int64_t t = run[kAct] + run[kStream] + run[kOverlay] + run[kScratch];
    op.push_back(st.op);
    op_type.push_back(st.op >= 0 && st.op < static_cast<int>(g.ops.size())
                          ? graph::OpTypeName(g.ops[st.op].type)
                          : "");
    patch.push_back(st.patch);
    macs.push_back(st.macs);
    out.push_back(o);
    in.push_back(i);
    other.push_back(std::max<int64_t>(0, run[kAct] - o - i));
    stream.push_back(run[kStream]);
    overlay.push_back(run[kOverlay]);
    scratch.push_back(run[kScratch]);
    total.push_back(t);
    if (t > *peak_live) {
      *peak_live = t;
      *peak_step = s;
    }
  }
  return Json{{"op", op},           {"op_type", op_type}, {"patch", patch},
              {"macs", macs},       {"input", in},        {"output", out},
              {"other", other},     {"stream", stream},   {"overlay", overlay},
              {"scratch", scratch}, {"total", total}};
}

}  // namespace

absl::StatusOr<std::string> DashboardData::CandidatePlan(
    const std::string& job_id, const std::string& key) {
  absl::StatusOr<Resolved> r = Resolve(job_id, key);
  if (!r.ok()) return r.status();
  // The state is part of the key: a build adds the order of report.json.
  const std::string cache_key =
      absl::StrCat(job_id, "|", r->candidate.key(), "|",
                   tuner::CandidateStateName(r->candidate.state));
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [k, json] : plans_) {
    if (k == cache_key) return json;
  }
  absl::StatusOr<Context*> ctx = ContextFor(*r);
  if (!ctx.ok()) return ctx.status();
  const graph::Graph& g = (*ctx)->graph;
  auto found =
      std::find_if((*ctx)->candidates.begin(), (*ctx)->candidates.end(),
                   [&](const space::Candidate& c) {
                     return c.Id() == r->candidate.candidate_id;
                   });
  if (found == (*ctx)->candidates.end()) {
    return absl::NotFoundError(
        absl::StrCat("candidate ", r->candidate.candidate_id,
                     " is not in the design space re-planned for this job"));
  }
  space::Candidate candidate = *found;
  std::string order_from = "replanned";
  UseBuiltOrder(options_.builds_dir, r->candidate.build_dir,
                static_cast<int>(g.ops.size()), &candidate, &order_from);
  absl::StatusOr<space::Plan> plan =
      space::PlanCandidate(*(*ctx)->planning, candidate);
  if (!plan.ok()) return plan.status();

  Json stored = Json::parse(r->candidate.metrics_json, nullptr,
                            /*allow_exceptions=*/false);
  int64_t peak_live = 0;
  int peak_step = -1;
  Json steps = StepColumns(g, *plan, std::max(1, options_.max_plan_steps),
                           &peak_live, &peak_step);
  // MACs per operator: as scheduled (recomputation included) and layer-wise.
  std::vector<int64_t> scheduled(g.ops.size(), 0);
  std::vector<int> calls(g.ops.size(), 0);
  for (const space::Step& s : plan->steps) {
    if (s.op < 0 || s.op >= static_cast<int>(g.ops.size())) continue;
    scheduled[s.op] += s.macs;
    if (s.kind == space::StepKind::kKernel) ++calls[s.op];
  }
  const graph::Analysis& analysis = (*ctx)->planning->analysis;
  Json ops = Json::array();
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const int out_tensor = g.ops[i].outputs.empty() ? -1 : g.ops[i].outputs[0];
    ops.push_back(
        {{"op", i},
         {"type", graph::OpTypeName(g.ops[i].type)},
         {"output", out_tensor >= 0 ? g.tensors[out_tensor].name : ""},
         {"macs", scheduled[i]},
         {"layerwise_macs",
          i < analysis.ops.size() ? analysis.ops[i].macs : int64_t{0}},
         {"kernel_calls", calls[i]}});
  }
  const space::MemoryBreakdown& m = plan->memory;
  Json j = {
      {"key", r->candidate.key()},
      {"candidate_id", r->candidate.candidate_id},
      {"board_kind", r->candidate.board_kind},
      {"strategy", space::StrategyName(plan->candidate.strategy)},
      {"n_patch", plan->candidate.n_patch},
      {"split_idx", plan->candidate.split_idx},
      {"inplace_depthwise", plan->candidate.inplace_depthwise},
      {"order_source", space::OrderSourceName(plan->candidate.order.source)},
      {"order_from", order_from},
      {"peak_sram_bytes", m.peak_sram_bytes},
      {"stored_peak_sram_bytes",
       stored.is_object() ? stored.value("peak_sram_bytes", int64_t{-1})
                          : int64_t{-1}},
      {"board_sram_bytes", r->board.sram_bytes},
      {"sram_budget_bytes", r->request.sram_budget_bytes},
      {"memory",
       {{"arena_bytes", m.arena_bytes},
        {"stream_buffer_bytes", m.stream_buffer_bytes},
        {"overlay_buffer_bytes", m.overlay_buffer_bytes},
        {"scratch_bytes", m.scratch_bytes},
        {"reference_arena_bytes", m.reference_arena_bytes},
        {"live_lower_bound_bytes", m.live_lower_bound_bytes},
        {"arena_heuristic", m.arena_heuristic}}},
      {"metrics",
       {{"macs_total", plan->metrics.macs_total},
        {"macs_recomputed", plan->metrics.macs_recomputed},
        {"kernel_calls", plan->metrics.kernel_calls},
        {"flash_bytes", plan->metrics.flash_bytes},
        {"weights_bytes", plan->metrics.weights_bytes},
        {"ext_ram_bytes", plan->metrics.ext_ram_bytes},
        {"ext_traffic_bytes", plan->metrics.ext_traffic_bytes}}},
      {"num_steps", plan->steps.size()},
      {"steps_truncated",
       static_cast<int>(plan->steps.size()) > options_.max_plan_steps},
      {"steps", std::move(steps)},
      {"peak_live_bytes", peak_live},
      {"peak_live_step", peak_step},
      {"ops", std::move(ops)},
  };
  std::string text = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  plans_.emplace_back(cache_key, text);
  while (static_cast<int>(plans_.size()) > std::max(1, options_.cached_plans)) {
    plans_.pop_front();
  }
  return text;
}

}  // namespace mcutune::server

// The linear predictor (predictor.h).
// - Features per plan: MACs, kernel calls, external traffic bytes, 1; each
//   scaled by its mean magnitude over the observations so the ridge term
//   treats them alike.
// - Fit: solve (XᵀX + λI) w = Xᵀy by Gaussian elimination with partial
//   pivoting (4×4); λ = 1e-6 · trace / 4 keeps it well-posed with few points.
// - Interval: ±(2·RMS residual + 10 % of the estimate), floored at 0.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "tuner/predictor.h"

namespace mcutune::tuner {
namespace {

constexpr int kFeatures = 4;
using Vec = std::array<double, kFeatures>;

Vec Features(const space::Plan& p) {
  return {static_cast<double>(p.metrics.macs_total),
          static_cast<double>(p.metrics.kernel_calls),
          static_cast<double>(p.metrics.ext_traffic_bytes), 1.0};
}

// Solves a·x = b in place; false when singular.
bool Solve(std::array<Vec, kFeatures> a, Vec b, Vec* x) {
  for (int c = 0; c < kFeatures; ++c) {
    int pivot = c;
    for (int r = c + 1; r < kFeatures; ++r) {
      if (std::fabs(a[r][c]) > std::fabs(a[pivot][c])) pivot = r;
    }
    if (std::fabs(a[pivot][c]) < 1e-300) return false;
    std::swap(a[c], a[pivot]);
    std::swap(b[c], b[pivot]);
    for (int r = 0; r < kFeatures; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (int k = c; k < kFeatures; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  for (int c = 0; c < kFeatures; ++c) (*x)[c] = b[c] / a[c][c];
  return true;
}

struct Fitted {
  Vec weights{};  // on scaled features
  Vec scale{1, 1, 1, 1};
  double rms = 0;
  std::string unit;
  int points = 0;
};

class LinearPredictor : public Predictor {
 public:
  absl::Status Fit(const space::BoardSpec& board,
                   const std::vector<Observation>& obs) override {
    if (obs.empty()) {
      fits_.erase(board.id);
      return absl::OkStatus();
    }
    Fitted f;
    f.unit = obs.front().unit;
    f.points = static_cast<int>(obs.size());
    for (const Observation& o : obs) {
      if (o.unit != f.unit) {
        return absl::InvalidArgumentError(
            absl::StrCat("mixed measurement units for board kind ", board.id,
                         ": ", f.unit, " and ", o.unit));
      }
    }
    if (obs.size() == 1) {
      // Only a MAC rate: latency = w0 * macs.
      const double macs = std::max(1.0, Features(*obs[0].plan)[0]);
      f.weights = {obs[0].latency / macs, 0, 0, 0};
      f.rms = 0.25 * obs[0].latency;
      fits_[board.id] = f;
      return absl::OkStatus();
    }
    for (int k = 0; k < kFeatures; ++k) {
      double sum = 0;
      for (const Observation& o : obs) sum += std::fabs(Features(*o.plan)[k]);
      f.scale[k] = sum > 0 ? sum / obs.size() : 1.0;
    }
    std::array<Vec, kFeatures> xtx{};
    Vec xty{};
    for (const Observation& o : obs) {
      Vec x = Features(*o.plan);
      for (int k = 0; k < kFeatures; ++k) x[k] /= f.scale[k];
      for (int r = 0; r < kFeatures; ++r) {
        for (int c = 0; c < kFeatures; ++c) xtx[r][c] += x[r] * x[c];
        xty[r] += x[r] * o.latency;
      }
    }
    double trace = 0;
    for (int k = 0; k < kFeatures; ++k) trace += xtx[k][k];
    for (int k = 0; k < kFeatures; ++k)
      xtx[k][k] += 1e-6 * trace / kFeatures + 1e-12;
    if (!Solve(xtx, xty, &f.weights)) {
      return absl::InternalError("linear predictor: singular system");
    }
    double sq = 0;
    for (const Observation& o : obs) {
      const double e = Estimate(f, *o.plan) - o.latency;
      sq += e * e;
    }
    f.rms = std::sqrt(sq / obs.size());
    fits_[board.id] = f;
    return absl::OkStatus();
  }

  std::vector<Prediction> Predict(
      const space::BoardSpec& board,
      const std::vector<const space::Plan*>& plans) const override {
    std::vector<Prediction> out;
    out.reserve(plans.size());
    auto it = fits_.find(board.id);
    for (const space::Plan* p : plans) {
      Prediction pr;
      pr.model = "linear-v1";
      if (it == fits_.end()) {
        pr.unit = "macs";
        pr.latency = static_cast<double>(p->metrics.macs_total);
        pr.low = 0;
        pr.high = 10 * pr.latency;
      } else {
        pr.unit = it->second.unit;
        pr.latency = std::max(0.0, Estimate(it->second, *p));
        const double half = 2 * it->second.rms + 0.1 * pr.latency;
        pr.low = std::max(0.0, pr.latency - half);
        pr.high = pr.latency + half;
      }
      out.push_back(pr);
    }
    return out;
  }

 private:
  static double Estimate(const Fitted& f, const space::Plan& p) {
    const Vec x = Features(p);
    double y = 0;
    for (int k = 0; k < kFeatures; ++k) y += f.weights[k] * x[k] / f.scale[k];
    return y;
  }

  std::map<std::string, Fitted> fits_;
};

}  // namespace

std::unique_ptr<Predictor> MakeLinearPredictor() {
  return std::make_unique<LinearPredictor>();
}

}  // namespace mcutune::tuner

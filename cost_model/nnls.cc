// Lawson-Hanson active set NNLS (nnls.h).
// - P (passive) starts with the free coefficients; the rest sit at 0 in Z.
// - Outer loop: w = A^T (b - A x); move the constrained j in Z with the
//   largest w_j > tol into P (none left: optimal).
// - Inner loop: z = least squares on the columns of P; if every constrained
//   z_j > 0 take it, else step from x towards z until the first constrained
//   coefficient reaches 0 and move those back to Z.
// - tol scales with the size of A^T b so it is unit-free.
#include "cost_model/nnls.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mcutune::cost_model {
namespace {

Eigen::VectorXd SolvePassive(const Eigen::MatrixXd& a, const Eigen::VectorXd& b,
                             const std::vector<bool>& passive) {
  const int n = static_cast<int>(a.cols());
  std::vector<int> cols;
  for (int j = 0; j < n; ++j) {
    if (passive[j]) cols.push_back(j);
  }
  Eigen::VectorXd z = Eigen::VectorXd::Zero(n);
  if (cols.empty()) return z;
  Eigen::MatrixXd ap(a.rows(), static_cast<Eigen::Index>(cols.size()));
  for (size_t k = 0; k < cols.size(); ++k) ap.col(k) = a.col(cols[k]);
  const Eigen::VectorXd zp = ap.colPivHouseholderQr().solve(b);
  for (size_t k = 0; k < cols.size(); ++k) z[cols[k]] = zp[k];
  return z;
}

}  // namespace

NnlsResult SolveNnls(const Eigen::MatrixXd& a, const Eigen::VectorXd& b,
                     const std::vector<bool>& free_mask, int max_iterations) {
  const int n = static_cast<int>(a.cols());
  auto is_free = [&](int j) { return !free_mask.empty() && free_mask[j]; };
  if (max_iterations <= 0) max_iterations = 3 * n + 50;
  NnlsResult result;
  std::vector<bool> passive(n, false);
  for (int j = 0; j < n; ++j) passive[j] = is_free(j);
  Eigen::VectorXd x = SolvePassive(a, b, passive);
  const double tol = 1e-10 *
                     std::max(1.0, (a.transpose() * b).cwiseAbs().maxCoeff()) *
                     std::max(1, n);
  for (int it = 0; it < max_iterations; ++it) {
    result.iterations = it + 1;
    const Eigen::VectorXd w = a.transpose() * (b - a * x);
    int best = -1;
    double best_w = tol;
    for (int j = 0; j < n; ++j) {
      if (!passive[j] && w[j] > best_w) {
        best_w = w[j];
        best = j;
      }
    }
    if (best < 0) {
      result.converged = true;
      break;
    }
    passive[best] = true;
    for (int inner = 0; inner <= n; ++inner) {
      const Eigen::VectorXd z = SolvePassive(a, b, passive);
      double alpha = std::numeric_limits<double>::infinity();
      for (int j = 0; j < n; ++j) {
        if (passive[j] && !is_free(j) && z[j] <= 0) {
          const double denom = x[j] - z[j];
          if (denom > 0)
            alpha = std::min(alpha, x[j] / denom);
          else
            alpha = 0;
        }
      }
      if (!std::isfinite(alpha)) {
        x = z;
        break;
      }
      x += alpha * (z - x);
      for (int j = 0; j < n; ++j) {
        if (passive[j] && !is_free(j) && x[j] <= 1e-14 * (1 + std::abs(z[j]))) {
          passive[j] = false;
          x[j] = 0;
        }
      }
    }
  }
  for (int j = 0; j < n; ++j) {
    if (!is_free(j) && x[j] < 0) x[j] = 0;
  }
  result.x = x;
  return result;
}

NnlsResult SolveBoundedNnls(const Eigen::MatrixXd& a, const Eigen::VectorXd& b,
                            const std::vector<double>& upper) {
  const int n = static_cast<int>(a.cols());
  Eigen::MatrixXd work = a;
  Eigen::VectorXd rhs = b;
  std::vector<double> fixed(n, -1);  // >= 0: pinned at that value
  NnlsResult r;
  for (int round = 0; round <= n; ++round) {
    r = SolveNnls(work, rhs);
    bool pinned = false;
    for (int j = 0; j < n; ++j) {
      if (fixed[j] < 0 && j < static_cast<int>(upper.size()) &&
          r.x[j] > upper[j]) {
        fixed[j] = upper[j];
        rhs -= work.col(j) * upper[j];
        work.col(j).setZero();
        pinned = true;
      }
    }
    if (!pinned) break;
  }
  for (int j = 0; j < n; ++j) {
    if (fixed[j] >= 0) r.x[j] = fixed[j];
  }
  return r;
}

}  // namespace mcutune::cost_model

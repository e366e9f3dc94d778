// Non-negative least squares: min ||A x - b||^2 subject to x_j >= 0 for the
// constrained coefficients (Lawson & Hanson's active-set algorithm).
//
// The linear cost model fits per-class costs (instructions per MAC of each
// kernel loop, per call, per copied byte) that are physically non-negative;
// an unconstrained fit on collinear classes happily trades a negative cost in
// one class for a larger one in another, which extrapolates badly to held-out
// networks with a different class mix. Eigen has no NNLS, hence this.
//
// Thread-safe (pure function).
#ifndef MCUTUNE_COST_MODEL_NNLS_H_
#define MCUTUNE_COST_MODEL_NNLS_H_

#include <Eigen/Dense>
#include <vector>

namespace mcutune::cost_model {

struct NnlsResult {
  Eigen::VectorXd x;
  int iterations = 0;
  bool converged = false;  // false: stopped at max_iterations (x is feasible)
};

// `free_mask[j]` true lets x_j take any sign (empty = all constrained).
// A has at least one column. Each iteration solves the passive-set least
// squares problem with a column-pivoting QR (rank-deficient sets are fine).
NnlsResult SolveNnls(const Eigen::MatrixXd& a, const Eigen::VectorXd& b,
                     const std::vector<bool>& free_mask = {},
                     int max_iterations = 0 /* 0 = 3 * columns + 50 */);

// NNLS with upper bounds 0 <= x_j <= upper[j] (+infinity = none): solves
// NNLS, fixes every coefficient above its bound at the bound (moving its
// column to the right-hand side), and solves again for the rest until no
// bound is violated (at most one round per column). Not the exact bounded
// optimum in every case (BVLS would be), but it never returns a violating
// coefficient and equals NNLS when no bound binds.
NnlsResult SolveBoundedNnls(const Eigen::MatrixXd& a, const Eigen::VectorXd& b,
                            const std::vector<double>& upper);

}  // namespace mcutune::cost_model

#endif  // MCUTUNE_COST_MODEL_NNLS_H_

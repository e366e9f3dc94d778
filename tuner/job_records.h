// Helpers of the tuning loop that turn plans and measurements into store
// rows (internal to tuner/; tune_job.cc and its tests).
#ifndef MCUTUNE_TUNER_JOB_RECORDS_H_
#define MCUTUNE_TUNER_JOB_RECORDS_H_

#include <string>
#include <vector>

#include "device_farm/measurement.h"
#include "tuner/space/plan.h"
#include "tuner/store.h"

namespace mcutune::tuner {

// The metrics_json of a candidate row (keys in store.h).
std::string PlanMetricsJson(const space::Plan& plan);
// A device_farm Measurement as JSON (raw_log left out).
std::string MeasurementJson(const device_farm::Measurement& m,
                            const std::string& board_uri);
// Progress counters recomputed from candidate rows.
JobProgress ProgressOf(const std::vector<CandidateRecord>& candidates,
                       int budget);
// True for [a-z0-9][a-z0-9._-]* of at most 128 chars: safe as one path
// component (ids of jobs, board kinds and candidates).
bool IsSafePathComponent(const std::string& s);

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_JOB_RECORDS_H_

// The Scheduler implementation's class, shared by scheduler.cc (API,
// boards, heartbeat) and scheduler_worker.cc (the per-slot worker loop, run
// execution, health checks). Not part of the module's interface.
#ifndef MCUTUNE_DEVICE_FARM_SCHEDULER_IMPL_H_
#define MCUTUNE_DEVICE_FARM_SCHEDULER_IMPL_H_

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "device_farm/scheduler.h"

namespace mcutune::device_farm::scheduler_internal {

struct BoardEntry {
  std::unique_ptr<Board> board;
  std::string uri;
  std::string kind;
  int slots = 1;
  // Guarded by SchedulerImpl::mu_.
  int busy = 0;                   // slots taken (runs and health checks)
  std::vector<int64_t> running;   // run ids in progress
  bool health_check_running = false;
  int consecutive_suspects = 0;   // timeouts/crashes since the last ok
  bool removing = false;
  std::vector<std::thread> workers;
};

class SchedulerImpl : public Scheduler {
 public:
  SchedulerImpl(std::shared_ptr<FarmStore> store, SchedulerOptions options);
  ~SchedulerImpl() override;

  absl::Status Start(std::vector<std::unique_ptr<Board>> boards);

  absl::StatusOr<int64_t> Submit(const RunRequest& request) override;
  absl::StatusOr<RunRecord> Get(int64_t run_id) override;
  absl::StatusOr<RunRecord> Wait(int64_t run_id,
                                 absl::Duration timeout) override;
  absl::Status Cancel(int64_t run_id) override;
  absl::StatusOr<std::vector<RunRecord>> ListRuns(
      const RunFilter& filter) override;
  absl::StatusOr<std::vector<BoardStatus>> Boards() override;
  absl::Status AddBoard(std::unique_ptr<Board> board) override;
  absl::Status Drain(const std::string& uri) override;
  absl::Status Enable(const std::string& uri) override;
  absl::Status RemoveBoard(const std::string& uri,
                           absl::Duration timeout) override;
  absl::StatusOr<HealthReport> CheckHealth(const std::string& uri) override;
  void Stop() override;
  FarmStore& store() override { return *store_; }

 private:
  // scheduler.cc
  absl::Status AddBoardLocked(std::unique_ptr<Board> board);
  void HeartbeatLoop();
  void NotifyFinished(int64_t run_id);
  absl::Time Now() { return options_.clock->Now(); }
  std::shared_ptr<BoardEntry> FindBoard(const std::string& uri);

  // scheduler_worker.cc
  void WorkerLoop(std::shared_ptr<BoardEntry> entry);
  // One lease: the pending repeats on entry's board.
  void Execute(BoardEntry& entry, const Lease& lease);
  // Board::Run error of one repeat: retry, fail, quarantine.
  void HandleBoardError(BoardEntry& entry, const Lease& lease,
                        const absl::Status& error);
  // Persists one repeat's measurement, retrying a locked database for a
  // bounded time. False when it could not be stored.
  bool StoreMeasurement(const Lease& lease, int repeat_index,
                        const Measurement& m, absl::Time started,
                        absl::Time finished);
  absl::Duration Backoff(int failure) const;
  // Counts an infrastructure failure; quarantines at quarantine_after.
  void ChargeBoard(const std::string& uri, const std::string& detail);
  void Quarantine(const std::string& uri, const std::string& reason);
  // Runs the health artifact on a slot the caller already holds.
  HealthReport RunHealthCheck(BoardEntry& entry);
  // Waits (bounded) until the store accepts the transition or gives up.
  absl::Status Persist(const std::function<absl::Status()>& write);

  std::shared_ptr<FarmStore> store_;
  SchedulerOptions options_;

  std::mutex mu_;
  std::condition_variable work_cv_;  // new runs, board state, stop
  std::condition_variable done_cv_;  // run finished, slot freed
  std::map<std::string, std::shared_ptr<BoardEntry>> boards_;
  std::map<int64_t, Lease> leases_;  // held by this instance
  int workers_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread heartbeat_;
};

}  // namespace mcutune::device_farm::scheduler_internal

#endif  // MCUTUNE_DEVICE_FARM_SCHEDULER_IMPL_H_

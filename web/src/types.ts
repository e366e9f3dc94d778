// The daemon's JSON as the dashboard reads it. Tuning API bodies are the
// proto messages of proto/mcutune/v1/mcutune.proto in their JSON mapping
// (lowerCamelCase; 64-bit integers arrive as strings, see num() in
// format.ts). Dashboard routes (server/daemon/http_dashboard_api.h) use
// snake_case plain JSON.

export type Int64 = string | number;

export interface ModelSummary {
  operators: number;
  tensors: number;
  macs: Int64;
  params: Int64;
  inputShape: number[];
  outputShape: number[];
}

export interface Model {
  id: string;
  name: string;
  sizeBytes: Int64;
  uploadedAt: string;
  deduplicated: boolean;
  summary?: ModelSummary;
  analysisJson: string;
}

export interface JobProgress {
  candidatesEnumerated: number;
  buildsDone: number;
  buildsFailed: number;
  verifyFailed: number;
  measurementsDone: number;
  measurementBudget: number;
  frontSize: number;
  rounds: number;
  measurementsFailed: number;
}

export interface StartTuningRequest {
  modelId: string;
  boardKinds: string[];
  constraints?: {
    sramBudgetBytes?: Int64;
    flashBudgetBytes?: Int64;
    allowExternalMemory?: boolean;
    maxNPatch?: number;
  };
  measurementBudget?: number;
  seed?: Int64;
  batchSize?: number;
  runsPerMeasurement?: number;
  label?: string;
}

export interface Job {
  id: string;
  modelId: string;
  modelName: string;
  state: string; // JOB_STATE_*
  phase: string;
  request: StartTuningRequest;
  progress: JobProgress;
  error: string;
  createdAt: string;
  updatedAt: string;
}

export interface PlanMetrics {
  macs: Int64;
  peakSramBytes: Int64;
  flashBytes: Int64;
  extRamBytes: Int64;
  extFlashBytes: Int64;
  kernelCalls: Int64;
  extTrafficBytes: Int64;
  macsRecomputed: Int64;
}

export interface Prediction {
  latency: number;
  low: number;
  high: number;
  unit: string;
  model: string;
}

export interface MeasuredResult {
  latency: number;
  unit: string;
  outputMatches: boolean;
  flashBytes: Int64;
  ramBytes: Int64;
  stackHighWaterBytes: Int64;
  boardUri: string;
  runStatus: string;
  runs: number;
}

export interface Candidate {
  key: string;
  candidateId: string;
  boardKind: string;
  strategy: string;
  state: string; // CANDIDATE_STATE_*
  metrics?: PlanMetrics;
  predicted?: Prediction;
  measured?: MeasuredResult;
  onFront: boolean;
  error: string;
}

export interface ParetoFront {
  jobId: string;
  state: string;
  final: boolean;
  candidates: Candidate[];
}

export interface JobEvent {
  seq: Int64;
  time: string;
  state: string;
  phase: string;
  progress?: JobProgress;
  message: string;
  front: Candidate[];
}

export interface BoardInstance {
  uri: string;
  state: string;
  agent: string;
}

export interface BoardKind {
  kind: string;
  name: string;
  isVirtual: boolean;
  core: string;
  clockHz: Int64;
  sramBytes: Int64;
  flashBytes: Int64;
  hasExternalMemory: boolean;
  qemuMachine: string;
  standsInFor: string;
  instances: BoardInstance[];
}

// GET /api/v1/jobs/{id}/plan?candidate=KEY: columns per schedule step.
export interface PlanSteps {
  op: number[];
  op_type: string[];
  patch: number[];
  macs: number[];
  input: number[];
  output: number[];
  other: number[];
  stream: number[];
  overlay: number[];
  scratch: number[];
  total: number[];
}

export interface PlanOp {
  op: number;
  type: string;
  output: string;
  macs: number;
  layerwise_macs: number;
  kernel_calls: number;
}

export interface CandidatePlan {
  key: string;
  candidate_id: string;
  board_kind: string;
  strategy: string;
  n_patch: number;
  split_idx: number;
  inplace_depthwise: boolean;
  order_source: string;
  order_from: string;
  peak_sram_bytes: number;
  stored_peak_sram_bytes: number;
  board_sram_bytes: number;
  sram_budget_bytes: number;
  memory: Record<string, number | string>;
  metrics: Record<string, number>;
  num_steps: number;
  steps_truncated: boolean;
  steps: PlanSteps;
  peak_live_bytes: number;
  peak_live_step: number;
  ops: PlanOp[];
}

export interface FarmMeasurement {
  run_id: number;
  repeat: number;
  attempt: number;
  board_uri: string;
  status: string;
  unit: string;
  per_inference: number;
  total_count: number;
  runs: number;
  warmup: number;
  output_matches: boolean | null;
  stack_high_water_bytes: number;
  wall_seconds: number;
  counted_by: string;
  error: string;
  started_at: string;
  finished_at: string;
}

export interface Spread {
  count: number;
  unit: string;
  min: number;
  median: number;
  max: number;
  mean: number;
  stddev: number;
}

export interface CandidateMeasurements {
  key: string;
  runs: {
    id: number;
    state: string;
    board_kind: string;
    attempts: number;
    failures: number;
    last_status: string;
    last_error: string;
    artifact_sha256: string;
  }[];
  measurements: FarmMeasurement[];
  spread: Spread | null;
  prediction: {
    latency: number | null;
    low: number | null;
    high: number | null;
    unit: string;
    model: string;
    measured: number | null;
    measured_unit: string;
    comparable: boolean;
    error_pct: number | null;
    within_interval: boolean | null;
  };
}

export interface FarmBoard {
  uri: string;
  kind: string;
  slots: number;
  state: string; // idle | busy | draining | drained | quarantined
  farm_state: string;
  running: number[];
  consecutive_failures: number;
  quarantine_reason: string;
  health_check_failures: number;
  next_health_check_at: string;
  updated_at: string;
  remote: boolean;
  agent: string;
  agent_online: boolean;
  busy_seconds: number;
  attempts: number;
  utilisation: number;
}

export interface Farm {
  boards: FarmBoard[];
  queue: { kind: string; queued: number; leased: number }[];
  window_s: number;
  now: string;
}

// Nightly sweeps (docs/sweeps.md): GET /api/v1/sweeps and /sweeps/{name},
// proto JSON. Read defensively: fields may be absent.
export interface SweepPoint {
  runId: string;
  time: string;
  candidate: string;
  strategy: string;
  latency: number;
  unit: string;
  spread: number;
  repeats: number;
  peakSramBytes: Int64;
  flashBytes: Int64;
  jobId: string;
  remeasured: boolean;
}

export interface SweepCounts {
  items: number; tuned: number; remeasured: number; skipped: number; failed: number;
  jobs: number; builds: number; measurements: number; farmRuns: number; alerts: number;
}

export interface SweepRun {
  id: string;
  sweep: string;
  trigger: string;
  state: string; // queued | running | done | failed | interrupted
  scheduledFor: string;
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  counts?: SweepCounts;
  error: string;
  deduplicated?: boolean;
}

export interface SweepAlert {
  id: Int64;
  runId: string;
  time: string;
  kind: string;
  severity: string; // info | warning | critical
  item: string;
  model: string;
  boardKind: string;
  candidate: string;
  ratio: number;
  unit: string;
  message: string;
}

export interface Sweep {
  name: string;
  description: string;
  schedule: string;
  timezone: string;
  enabled: boolean;
  nextRunAt: string;
  models: string[];
  boardKinds: string[];
  constraints: string[];
  items: number;
  measurementBudget: number;
  lastRun?: SweepRun;
  lastAlerts?: SweepAlert[];
}

export interface Sweeps {
  configured: boolean;
  sweeps: Sweep[];
}

export interface SweepReport {
  sweep?: Sweep;
  runs?: SweepRun[];
  series?: { item: string; model: string; boardKind: string; constraint: string; points: SweepPoint[] }[];
  alerts?: SweepAlert[];
}

// The daemon's HTTP/JSON API as the dashboard calls it: same origin, the
// client token from localStorage as `Authorization: Bearer`, errors turned
// into ApiError with the daemon's code and message
// ({"error":{"code","message"}}, docs/daemon.md).
import type {
  BoardKind, Candidate, CandidateMeasurements, CandidatePlan, Farm, Job,
  JobEvent, Model, ParetoFront, StartTuningRequest, SweepReport, SweepRun, Sweeps,
} from './types';

const TOKEN_KEY = 'mcutune.token';

export function getToken(): string {
  return localStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(token: string): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number, // HTTP status; 0 = the daemon did not answer
    readonly code: string,   // canonical code, e.g. INVALID_ARGUMENT
    message: string,
  ) {
    super(message);
  }
  get unauthenticated(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

// Listeners told when a call was refused for its token (the shell shows the
// token form).
const authListeners = new Set<() => void>();
export function onAuthError(f: () => void): void {
  authListeners.add(f);
}

async function call(
  method: string, path: string, body?: BodyInit, contentType?: string,
): Promise<Response> {
  const headers: Record<string, string> = {};
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (contentType) headers['Content-Type'] = contentType;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'UNAVAILABLE', `the daemon did not answer (${String(e)})`);
  }
  if (res.ok) return res;
  let code = `HTTP_${res.status}`;
  let message = res.statusText || 'request failed';
  try {
    const j = await res.json();
    if (j?.error) {
      code = j.error.code ?? code;
      message = j.error.message ?? message;
    }
  } catch {
    // not JSON: keep the status line
  }
  const err = new ApiError(res.status, code, message);
  if (err.unauthenticated) authListeners.forEach((f) => f());
  throw err;
}

async function json<T>(method: string, path: string, body?: BodyInit,
                       contentType?: string): Promise<T> {
  const res = await call(method, path, body, contentType);
  return (await res.json()) as T;
}

const q = encodeURIComponent;

export const api = {
  health: () => json<{ status: string; jobs_running: number; jobs_queued: number }>(
    'GET', '/healthz'),
  boards: () => json<{ boards: BoardKind[] }>('GET', '/api/v1/boards'),
  models: () => json<{ models: Model[] }>('GET', '/api/v1/models'),
  model: (id: string) => json<Model>('GET', `/api/v1/models/${q(id)}`),
  uploadModel: (name: string, bytes: ArrayBuffer) =>
    json<Model>('POST', `/api/v1/models${name ? `?name=${q(name)}` : ''}`, bytes,
                'application/octet-stream'),
  jobs: (state = '', limit = 1000) =>
    json<{ jobs: Job[] }>('GET',
      `/api/v1/jobs?limit=${limit}${state ? `&state=${q(state)}` : ''}`),
  job: (id: string) => json<Job>('GET', `/api/v1/jobs/${q(id)}`),
  startJob: (r: StartTuningRequest) =>
    json<Job>('POST', '/api/v1/jobs', JSON.stringify(r), 'application/json'),
  cancelJob: (id: string) => json<Job>('POST', `/api/v1/jobs/${q(id)}/cancel`),
  front: (id: string) => json<ParetoFront>('GET', `/api/v1/jobs/${q(id)}/front`),
  candidates: (id: string) =>
    json<{ candidates: Candidate[] }>('GET', `/api/v1/jobs/${q(id)}/candidates`),
  events: (id: string, after: number) =>
    json<{ events: JobEvent[] }>('GET', `/api/v1/jobs/${q(id)}/events?after=${after}`),
  plan: (id: string, key: string) =>
    json<CandidatePlan>('GET', `/api/v1/jobs/${q(id)}/plan?candidate=${q(key)}`),
  measurements: (id: string, key: string) =>
    json<CandidateMeasurements>('GET',
      `/api/v1/jobs/${q(id)}/measurements?candidate=${q(key)}`),
  farm: () => json<Farm>('GET', '/api/v1/farm'),
  drain: (uri: string) => json<Farm>('POST', `/api/v1/farm/drain?uri=${q(uri)}`),
  enable: (uri: string) => json<Farm>('POST', `/api/v1/farm/enable?uri=${q(uri)}`),
  sweeps: () => json<Sweeps>('GET', '/api/v1/sweeps'),
  sweepReport: (name: string) => json<SweepReport>('GET', `/api/v1/sweeps/${q(name)}?runs=30`),
  runSweep: (name: string) => json<SweepRun>('POST', `/api/v1/sweeps/${q(name)}/run`),
};

// Downloads a file the API serves (bundle, firmware): fetched with the token
// (a plain link could not send it), handed to the browser as a blob.
export async function download(path: string, fallbackName: string): Promise<number> {
  const res = await call('GET', path);
  const blob = await res.blob();
  const disposition = res.headers.get('Content-Disposition') ?? '';
  const m = /filename="([^"]+)"/.exec(disposition);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = m ? m[1] : fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
  return blob.size;
}

export const paths = {
  bundle: (job: string, key: string) =>
    `/api/v1/jobs/${q(job)}/build?candidate=${q(key)}`,
  firmware: (job: string, key: string, format: 'elf' | 'bin') =>
    `/api/v1/jobs/${q(job)}/firmware?candidate=${q(key)}&format=${format}`,
};

// What a page gets from the shell: its root element, the route parameters
// and timers that stop when the user navigates away.
export interface PageCtx {
  root: HTMLElement;
  params: string[];
  // Runs `f` now and then every `ms` (a number or a function of the last
  // result's liveness) while the page is shown; calls never overlap.
  every(ms: number | (() => number), f: () => Promise<void>): void;
  onLeave(f: () => void): void;
  alive(): boolean;
  navigate(hash: string): void;
}

export type Page = (ctx: PageCtx) => void | Promise<void>;

export function candidateHash(jobId: string, key: string): string {
  return `#/jobs/${encodeURIComponent(jobId)}/candidates/${encodeURIComponent(key)}`;
}

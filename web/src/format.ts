// Number, size and time formatting shared by the pages.
import type { Int64 } from './types';

// A proto int64 (JSON string) or number as a JS number (NaN-safe: 0).
export function num(v: Int64 | null | undefined): number {
  if (v === null || v === undefined || v === '') return 0;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export function int(v: Int64 | null | undefined): string {
  return intFmt.format(num(v));
}

// 1234567 -> "1.23 M" (counts: MACs, instructions, cycles).
export function count(v: Int64 | null | undefined): string {
  const n = num(v);
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return intFmt.format(n);
}

// Bytes in KiB / MiB with the exact count available via title attributes.
export function bytes(v: Int64 | null | undefined): string {
  const n = num(v);
  const a = Math.abs(n);
  if (a >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (a >= 1 << 10) return `${(n / 1024).toFixed(1)} KiB`;
  return `${intFmt.format(n)} B`;
}

export function pct(v: number, digits = 1): string {
  return `${(v * 100).toFixed(digits)} %`;
}

export function signedPct(v: number, digits = 1): string {
  return `${v > 0 ? '+' : ''}${v.toFixed(digits)} %`;
}

export function time(iso: string): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('en-GB', {
    year: 'numeric', month: 'short', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

// "3 min ago" style for recent times.
export function ago(iso: string, now = Date.now()): string {
  if (!iso) return '—';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return time(iso);
}

// JOB_STATE_RUNNING -> running, CANDIDATE_STATE_BUILD_FAILED -> build failed.
export function enumName(v: string): string {
  return v.replace(/^(JOB_STATE_|CANDIDATE_STATE_)/, '').toLowerCase().replace(/_/g, ' ');
}

export function shortId(id: string, n = 10): string {
  return id.length > n ? `${id.slice(0, n)}…` : id;
}

// Sweeps and history: the nightly sweeps of docs/sweeps.md with their
// schedule, last run and alerts, and per sweep the trend of every item
// (model × board kind × constraint): the fastest measured point of each run,
// with its peak SRAM. "Run now" queues a run. Data driven from
// GET /api/v1/sweeps (and /sweeps/{name}); an empty list says that sweeps
// are not configured.
import { api, ApiError } from '../api';
import { axisStyle, makeChart, PALETTE } from '../charts';
import { badge, card, clear, emptyState, errorBox, h, loading, pagedTable, section } from '../dom';
import { ago, bytes, count, num, time } from '../format';
import type { PageCtx } from '../page';
import type { Sweep, SweepAlert, SweepPoint, SweepReport } from '../types';

const RUN_TONES: Record<string, string> = { done: 'ok', running: 'info', queued: 'neutral', failed: 'bad', interrupted: 'warn' };
const SEVERITY_TONES: Record<string, string> = { info: 'info', warning: 'warn', critical: 'bad' };

export async function sweepsPage(ctx: PageCtx): Promise<void> {
  const body = h('div', null, loading());
  ctx.root.append(h('div', { class: 'page-head' }, h('h1', null, 'Sweeps and history')), body);
  let sweeps: Sweep[] = [];
  try {
    sweeps = (await api.sweeps()).sweeps ?? [];
  } catch (e) {
    // A daemon without the sweeps API counts as "not configured".
    if (!(e instanceof ApiError && e.status === 404)) {
      clear(body, errorBox(e, 'Could not read the sweeps'));
      return;
    }
  }
  if (!ctx.alive()) return;
  if (sweeps.length === 0) {
    clear(body, h('div', { class: 'panel' }, emptyState('Sweeps are not configured yet',
      h('p', null, 'Nightly sweeps re-tune chosen models on chosen board kinds on a schedule; this page then shows, per model ',
        'and board, how the best latency and its peak SRAM moved from one run to the next, and the alerts they raised.'),
      h('p', { class: 'muted' }, 'Give the daemon a sweeps directory (config key ', h('code', null, 'sweeps_dir'), ', definitions like ',
        h('code', null, 'configs/sweeps/*.json'), '; docs/sweeps.md) and restart it.'))));
    return;
  }
  clear(body);
  for (const s of sweeps) body.append(sweepPanel(ctx, s));
}

function sweepPanel(ctx: PageCtx, s: Sweep): HTMLElement {
  const status = h('div');
  const charts = h('div', null, loading('Loading the history…'));
  const run = s.lastRun;
  const panel = section(`${s.name}`,
    h('div', { class: 'toolbar' },
      s.enabled ? badge('enabled', 'ok') : badge('disabled', 'neutral'),
      h('span', { class: 'muted' }, `${s.schedule} (${s.timezone || 'UTC'})`),
      s.nextRunAt ? h('span', { class: 'muted' }, `next run ${time(s.nextRunAt)}`) : null,
      h('button', { class: 'small-btn', 'data-action': 'run-sweep', onclick: async (e: Event) => {
        (e.target as HTMLButtonElement).disabled = true;
        try {
          const r = await api.runSweep(s.name);
          clear(status, h('div', { class: 'notice' }, r.deduplicated ? `A run is already ${r.state}: ${r.id}` : `Queued run ${r.id}`));
        } catch (err) {
          clear(status, errorBox(err, 'Could not start a run'));
        }
      } }, 'Run now')),
    s.description ? h('p', { class: 'muted' }, s.description) : null,
    status,
    h('div', { class: 'cards' },
      card('Items', String(s.items ?? 0), `${(s.models ?? []).join(', ')} × ${(s.boardKinds ?? []).join(', ')}`),
      card('Last run', run ? badge(run.state, RUN_TONES[run.state]) : '—',
        run ? `${run.trigger} · ${ago(run.finishedAt || run.startedAt || run.createdAt)}` : 'never ran'),
      run?.counts ? card('Work', `${run.counts.jobs} jobs`, `${run.counts.builds} builds · ${run.counts.measurements} measurements · ${run.counts.skipped} skipped`) : null,
      card('Alerts', String(s.lastAlerts?.length ?? 0), 'of the last run')),
    charts);
  void loadReport(ctx, s.name, charts);
  return panel;
}

async function loadReport(ctx: PageCtx, name: string, el: HTMLElement): Promise<void> {
  let report: SweepReport;
  try {
    report = await api.sweepReport(name);
  } catch (e) {
    clear(el, errorBox(e, `Could not read the report of ${name}`));
    return;
  }
  if (!ctx.alive()) return;
  const series = (report.series ?? []).filter((x) => (x.points ?? []).length > 0);
  if (series.length === 0) {
    clear(el, emptyState('No history yet', 'The trend appears after the first run that measured something.'));
  } else {
    const latencyEl = h('div', { class: 'chart chart-sweep' });
    const sramEl = h('div', { class: 'chart chart-sweep' });
    clear(el, h('div', { class: 'muted small' }, 'Per item, the fastest measured point of each run.'), latencyEl, sramEl);
    const best = series.map((x) => bestPerRun(x.points));
    const unit = best[0]?.[0]?.unit ?? '';
    const line = (pick: (p: SweepPoint) => number) => series.map((x, i) => ({
      name: x.item, type: 'line', showSymbol: true, symbolSize: 6,
      itemStyle: { color: PALETTE[i % PALETTE.length] },
      data: best[i].map((p) => ({ value: [p.time, pick(p)], candidate: p.candidate })),
    }));
    const common = {
      animation: false,
      legend: { top: 0, right: 8, type: 'scroll', width: '60%' },
      grid: { left: 80, right: 24, top: 40, bottom: 36 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'time', axisLabel: axisStyle.axisLabel, splitLine: { show: false } },
    };
    makeChart(`sweep-latency:${name}`, latencyEl, {
      ...common,
      title: { text: `best latency (${unit})`, left: 8, top: 0, textStyle: { fontSize: 12, color: '#475569' } },
      yAxis: { type: 'value', scale: true, axisLabel: { formatter: (v: number) => count(v) }, splitLine: axisStyle.splitLine },
      series: line((p) => p.latency),
    });
    makeChart(`sweep-sram:${name}`, sramEl, {
      ...common,
      title: { text: 'its peak SRAM', left: 8, top: 0, textStyle: { fontSize: 12, color: '#475569' } },
      yAxis: { type: 'value', scale: true, axisLabel: { formatter: (v: number) => bytes(v) }, splitLine: axisStyle.splitLine },
      series: line((p) => num(p.peakSramBytes)),
    });
  }
  const alerts = report.alerts ?? [];
  if (alerts.length) {
    el.append(h('h2', { style: 'margin-top:16px' }, 'Alerts'), pagedTable<SweepAlert>([
      { title: 'Time', cell: (a) => time(a.time) },
      { title: 'Severity', cell: (a) => badge(a.severity, SEVERITY_TONES[a.severity]) },
      { title: 'Kind', cell: (a) => a.kind.replace(/_/g, ' ') },
      { title: 'Item', cell: (a) => a.item || a.boardKind },
      { title: 'Message', class: 'wrap', cell: (a) => a.message },
    ], alerts, { pageSize: 10 }).el);
  }
}

// The fastest point of every run, oldest first.
function bestPerRun(points: SweepPoint[]): SweepPoint[] {
  const byRun = new Map<string, SweepPoint>();
  for (const p of points) {
    const b = byRun.get(p.runId);
    if (!b || p.latency < b.latency) byRun.set(p.runId, p);
  }
  return [...byRun.values()].sort((a, b) => a.time.localeCompare(b.time));
}

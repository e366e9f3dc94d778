// Job: its request and progress, the Pareto chart per board kind
// (pareto.ts), the live event log and every candidate. While the job runs
// the page polls /events?after=SEQ every 1.5 s and reloads the job, and the
// candidates when the front or the phase changed.
import { api } from '../api';
import { strategyColor, type Chart } from '../charts';
import { badge, card, clear, emptyState, errorBox, h, link, loading, pagedTable, progress, section } from '../dom';
import { ago, bytes, count, enumName, int, num, signedPct, time } from '../format';
import { candidateHash, type PageCtx } from '../page';
import type { BoardKind, Candidate, Job, JobEvent } from '../types';
import { paretoChart } from './pareto';

const STATE_RANK: Record<string, number> = {
  CANDIDATE_STATE_MEASURED: 1, CANDIDATE_STATE_BUILT: 2, CANDIDATE_STATE_SELECTED: 3,
  CANDIDATE_STATE_MEASURE_FAILED: 4, CANDIDATE_STATE_VERIFY_FAILED: 5, CANDIDATE_STATE_BUILD_FAILED: 6,
  CANDIDATE_STATE_ENUMERATED: 7,
};
const TERMINAL = new Set(['JOB_STATE_DONE', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED']);

export async function jobPage(ctx: PageCtx): Promise<void> {
  const [jobId] = ctx.params;
  const head = h('div', { class: 'page-head' });
  const summary = h('div');
  const charts = h('div', { class: 'facets' });
  const chartNote = h('div', { class: 'muted small' });
  const colorBy = h('select', { 'aria-label': 'colour by' },
    h('option', { value: 'strategy' }, 'strategy'), h('option', { value: 'flash' }, 'flash size'));
  const showPred = h('input', { type: 'checkbox', checked: true, id: 'show-predicted' });
  const stateFilter = h('select', { 'aria-label': 'candidate state' },
    ['all', 'measured', 'on front', 'built', 'selected', 'enumerated', 'failed'].map((s) => h('option', { value: s }, s)));
  const search = h('input', { type: 'search', placeholder: 'filter by id or strategy', 'aria-label': 'filter candidates' });
  const eventsStatus = h('span', { class: 'live' });
  ctx.root.append(head, summary,
    section('Pareto front',
      h('div', { class: 'toolbar' },
        h('label', null, 'Colour by ', colorBy),
        h('label', null, showPred, ' show cost-model predictions')),
      charts, chartNote),
    section('Candidates', h('div', { class: 'toolbar' }, stateFilter, search), h('div', { id: 'cand-table' })),
    section('Events', eventsStatus, h('div', { id: 'events-table' })));
  clear(summary, loading());

  let job: Job | null = null;
  let boards: BoardKind[] = [];
  let candidates: Candidate[] = [];
  let events: JobEvent[] = [];
  let lastSeq = 0;
  let chartList: Chart[] = [];
  const open = (key: string) => ctx.navigate(candidateHash(jobId, key));

  const candTable = pagedTable<Candidate>([
    { title: 'Candidate', cell: (c) => link(candidateHash(jobId, c.key), c.onFront ? '★ ' : '', c.candidateId), sort: (c) => c.candidateId },
    { title: 'Board', cell: (c) => c.boardKind, sort: (c) => c.boardKind },
    { title: 'Strategy', cell: (c) => c.strategy, sort: (c) => c.strategy },
    { title: 'State', cell: (c) => badge(enumName(c.state)), sort: (c) => c.state },
    { title: 'Peak SRAM', class: 'num', cell: (c) => bytes(c.metrics?.peakSramBytes), sort: (c) => num(c.metrics?.peakSramBytes) },
    { title: 'Flash', class: 'num', cell: (c) => bytes(num(c.measured?.flashBytes) || c.metrics?.flashBytes), sort: (c) => num(c.measured?.flashBytes) || num(c.metrics?.flashBytes) },
    { title: 'MACs', class: 'num', cell: (c) => count(c.metrics?.macs), sort: (c) => num(c.metrics?.macs) },
    { title: 'Predicted', class: 'num', cell: (c) => (c.predicted?.latency ? `${count(c.predicted.latency)} ${c.predicted.unit}` : '—'), sort: (c) => c.predicted?.latency ?? 0 },
    { title: 'Measured', class: 'num', cell: (c) => (c.measured?.latency ? `${count(c.measured.latency)} ${c.measured.unit}` : '—'), sort: (c) => c.measured?.latency || Infinity },
    { title: 'Error', class: 'num', cell: (c) => predictionError(c), sort: (c) => Math.abs(errorOf(c) ?? 1e9) },
  ], [], { pageSize: 15, testid: 'candidates-table', rowClass: (c) => (c.onFront ? 'row-front' : ''),
    empty: emptyState('No candidates match', 'Candidates appear once the job has enumerated the design space.') });
  const eventTable = pagedTable<JobEvent>([
    { title: '#', class: 'num', cell: (e) => String(e.seq) },
    { title: 'Time', cell: (e) => h('span', { title: e.time }, time(e.time)) },
    { title: 'Phase', cell: (e) => badge(e.phase, e.phase === 'failed' ? 'bad' : e.phase === 'done' ? 'ok' : 'neutral') },
    { title: 'Message', class: 'wrap', cell: (e) => [e.message, e.front?.length ? h('span', { class: 'muted' }, ` (front: ${e.front.length})`) : null] },
    { title: 'Measured', class: 'num', cell: (e) => `${e.progress?.measurementsDone ?? 0}/${e.progress?.measurementBudget ?? 0}` },
  ], [], { pageSize: 10, testid: 'events-table', empty: emptyState('No events yet') });
  ctx.root.querySelector('#cand-table')!.append(candTable.el);
  ctx.root.querySelector('#events-table')!.append(eventTable.el);

  const filtered = () => {
    const f = stateFilter.value, s = search.value.trim().toLowerCase();
    return candidates.filter((c) => {
      const st = enumName(c.state);
      if (f === 'on front' && !c.onFront) return false;
      if (f === 'failed' && !st.includes('failed')) return false;
      if (!['all', 'on front', 'failed'].includes(f) && st !== f) return false;
      return !s || c.candidateId.includes(s) || c.strategy.includes(s);
    });
  };
  stateFilter.addEventListener('change', () => candTable.update(filtered()));
  search.addEventListener('input', () => candTable.update(filtered()));

  const renderHead = () => {
    if (!job) return;
    const j = job;
    const running = !TERMINAL.has(j.state);
    clear(head,
      h('div', null,
        h('div', { class: 'crumbs' }, link('#/jobs', 'Jobs'), ' / ', j.id),
        h('h1', null, j.modelName || 'job', ' ', badge(enumName(j.state)), ' ',
          h('span', { class: 'phase' }, j.phase))),
      running ? h('button', { class: 'danger', onclick: async (e: Event) => {
        (e.target as HTMLButtonElement).disabled = true;
        try { job = await api.cancelJob(j.id); renderHead(); } catch (err) { summary.prepend(errorBox(err, 'Cancel failed')); }
      } }, 'Cancel job') : null);
    const p = j.progress;
    const r = j.request;
    clear(summary,
      j.error ? errorBox({ message: j.error, code: 'JOB FAILED' }, 'The job failed') : null,
      h('div', { class: 'cards' },
        card('Measurements', progress(p?.measurementsDone ?? 0, p?.measurementBudget ?? 0),
          `${p?.measurementsFailed ?? 0} failed · ${p?.rounds ?? 0} rounds`, 'card-measurements'),
        card('Builds', String(p?.buildsDone ?? 0), `${p?.buildsFailed ?? 0} failed · ${p?.verifyFailed ?? 0} verify failed`),
        card('Candidates', int(p?.candidatesEnumerated), 'fitting, all boards'),
        card('Front', String(p?.frontSize ?? 0), 'measured, non-dominated', 'card-front'),
        card('Model', link(`#/models/${j.modelId}`, j.modelName || j.modelId.slice(0, 12)), h('code', { class: 'small' }, j.modelId.slice(0, 16) + '…')),
        card('Request', (r?.boardKinds ?? []).join(', '),
          `budget ${r?.measurementBudget ?? '—'} · batch ${r?.batchSize ?? '—'} · runs ${r?.runsPerMeasurement ?? '—'} · seed ${r?.seed ?? '—'}` +
          (num(r?.constraints?.sramBudgetBytes) ? ` · SRAM ≤ ${bytes(r?.constraints?.sramBudgetBytes)}` : '')),
        card('Created', ago(j.createdAt), `updated ${ago(j.updatedAt)}`)));
  };

  const renderCharts = () => {
    if (!job) return;
    chartList.forEach((c) => c.dispose());
    chartList = [];
    clear(charts);
    const kinds = job.request?.boardKinds ?? [...new Set(candidates.map((c) => c.boardKind))];
    const anyMeasured = candidates.some((c) => c.state === 'CANDIDATE_STATE_MEASURED');
    if (!anyMeasured && !showPred.checked) {
      charts.append(emptyState('Nothing measured yet', 'Points appear as soon as the first firmware has run on a board.'));
    }
    const budget = num(job.request?.constraints?.sramBudgetBytes);
    for (const kind of kinds) {
      const mine = candidates.filter((c) => c.boardKind === kind);
      const board = boards.find((b) => b.kind === kind);
      const frontCount = mine.filter((c) => c.onFront && c.state === 'CANDIDATE_STATE_MEASURED').length;
      const el = h('div', { class: 'chart chart-pareto', 'data-board': kind });
      const strategies = [...new Set(mine.filter((c) => c.state === 'CANDIDATE_STATE_MEASURED').map((c) => c.strategy))].sort();
      charts.append(h('div', { class: 'facet' }, el,
        h('div', { class: 'facet-foot muted small' },
          h('span', { 'data-testid': `front-count-${kind}` },
            `${frontCount} on the front · ${mine.filter((c) => c.state === 'CANDIDATE_STATE_MEASURED').length} measured · ${mine.length} candidates`),
          colorBy.value === 'strategy' && strategies.length
            ? h('span', { class: 'chips' }, strategies.map((st) => h('span', { class: 'chip' },
              h('span', { class: 'dot', style: `background:${strategyColor(st)}` }), st))) : null)));
      chartList.push(paretoChart(el, {
        board: kind, candidates: mine, open,
        sramBudget: budget || num(board?.sramBytes),
        budgetLabel: budget ? 'SRAM budget' : 'board SRAM',
        colorBy: colorBy.value as 'strategy' | 'flash',
        showPredicted: showPred.checked,
      }));
    }
    clear(chartNote, 'Filled markers: measured on a board (size grows with flash). Diamonds with a dark border: the measured Pareto front. ' +
      'Hollow markers: cost-model predictions (dashed: not measured yet; small grey, joined by a dotted line: where the model had put a measured one). ' +
      'Red line: the SRAM budget. Click a point to open the candidate.');
  };
  colorBy.addEventListener('change', renderCharts);
  showPred.addEventListener('change', renderCharts);

  const loadCandidates = async () => {
    const r = await api.candidates(jobId);
    // Front first, then measured by latency, then the rest by state.
    const rank = (c: Candidate) => (c.onFront ? 0 : STATE_RANK[c.state] ?? 9);
    candidates = r.candidates.sort((a, b) => rank(a) - rank(b) ||
      (a.measured?.latency || Infinity) - (b.measured?.latency || Infinity) || a.key.localeCompare(b.key));
    if (!ctx.alive()) return;
    candTable.update(filtered());
    renderCharts();
  };

  try {
    [job, boards] = await Promise.all([api.job(jobId), api.boards().then((b) => b.boards).catch(() => [])]);
  } catch (e) {
    clear(summary, errorBox(e, `Could not load job ${jobId}`));
    return;
  }
  renderHead();
  await loadCandidates().catch((e) => charts.append(errorBox(e, 'Could not load the candidates')));

  ctx.every(() => (job && TERMINAL.has(job.state) ? 30000 : 1500), async () => {
    const { events: fresh } = await api.events(jobId, lastSeq);
    if (!ctx.alive()) return;
    const first = lastSeq === 0;
    if (fresh.length) {
      lastSeq = num(fresh[fresh.length - 1].seq);
      events = [...fresh.reverse(), ...events];
      eventTable.update(events);
    }
    const terminal = job ? TERMINAL.has(job.state) : false;
    clear(eventsStatus, terminal ? `${events.length} events · job ${enumName(job!.state)}`
      : [h('span', { class: 'pulse' }), `live · ${events.length} events`]);
    if (!first && fresh.length) {
      job = await api.job(jobId);
      renderHead();
      if (fresh.some((e) => (e.front?.length ?? 0) > 0 || ['measure', 'refit', 'done', 'failed', 'cancelled'].includes(e.phase))) {
        await loadCandidates();
      }
    }
  });
}

function errorOf(c: Candidate): number | null {
  if (!c.predicted?.latency || !c.measured?.latency || c.predicted.unit !== c.measured.unit) return null;
  return (100 * (c.predicted.latency - c.measured.latency)) / c.measured.latency;
}

function predictionError(c: Candidate): string {
  const e = errorOf(c);
  return e === null ? '—' : signedPct(e);
}

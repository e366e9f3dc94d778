// Candidate: strategy and parameters, the per-step memory map (stacked
// SRAM bars by role with the planned peak marked), MACs by operator,
// measurements with their spread, the cost model's prediction and error,
// and downloads of the bundle and the firmware.
import { api, download, paths } from '../api';
import { axisStyle, makeChart, PALETTE } from '../charts';
import { badge, card, clear, emptyState, errorBox, h, link, loading, pagedTable, section } from '../dom';
import { bytes, count, enumName, int, num, pct, signedPct, time } from '../format';
import type { PageCtx } from '../page';
import type { Candidate, CandidateMeasurements, CandidatePlan, FarmMeasurement } from '../types';

const HAS_BUNDLE = new Set(['CANDIDATE_STATE_BUILT', 'CANDIDATE_STATE_MEASURED',
  'CANDIDATE_STATE_MEASURE_FAILED', 'CANDIDATE_STATE_VERIFY_FAILED']);

export async function candidatePage(ctx: PageCtx): Promise<void> {
  const [jobId, key] = ctx.params;
  const head = h('div', { class: 'page-head' });
  const cards = h('div', { class: 'cards' }, loading());
  const memory = h('div');
  const macs = h('div');
  const meas = h('div');
  ctx.root.append(head, cards,
    section('Memory map: SRAM live at each step', memory),
    section('Measurements and prediction', meas),
    section('MACs by operator', macs));

  let cand: Candidate | undefined;
  let boardSram = 0;
  try {
    const [list, boards] = await Promise.all([api.candidates(jobId), api.boards().catch(() => ({ boards: [] }))]);
    cand = list.candidates.find((c) => c.key === key || c.candidateId === key);
    if (cand) boardSram = num(boards.boards.find((b) => b.kind === cand!.boardKind)?.sramBytes);
  } catch (e) {
    clear(cards, errorBox(e, 'Could not load the candidate'));
    return;
  }
  if (!cand) {
    clear(cards, emptyState('No such candidate', `Job ${jobId} has no candidate ${key}. `, link(`#/jobs/${jobId}`, 'Back to the job')));
    return;
  }
  const c = cand;
  renderHead(head, jobId, c);
  renderCards(cards, c, null, null, boardSram);

  clear(memory, loading('Re-planning the candidate…'));
  clear(meas, loading());
  const [plan, ms] = await Promise.all([
    api.plan(jobId, c.key).catch((e) => e as Error),
    api.measurements(jobId, c.key).catch((e) => e as Error),
  ]);
  if (!ctx.alive()) return;
  renderCards(cards, c, plan instanceof Error ? null : plan, ms instanceof Error ? null : ms, boardSram);
  if (plan instanceof Error) {
    clear(memory, errorBox(plan, 'Could not re-plan the candidate'));
    clear(macs, errorBox(plan, 'No plan'));
  } else {
    renderMemory(memory, plan, boardSram);
    renderMacs(macs, plan);
  }
  if (ms instanceof Error) clear(meas, errorBox(ms, 'Could not load the measurements'));
  else renderMeasurements(meas, c, ms);
}

function renderHead(head: HTMLElement, jobId: string, c: Candidate): void {
  const status = h('span', { class: 'download-status muted small', 'data-testid': 'download-status' });
  const built = HAS_BUNDLE.has(c.state);
  const dl = (label: string, path: string, name: string, id: string) =>
    h('button', { id, disabled: !built, title: built ? '' : 'this candidate has no built bundle',
      onclick: async () => {
        clear(status, `downloading ${label}…`);
        try {
          const n = await download(path, name);
          clear(status, h('span', { class: 'ok-text' }, `${label}: ${bytes(n)} downloaded`));
        } catch (e) {
          clear(status, errorBox(e, `${label} download failed`));
        }
      } }, '⤓ ', label);
  clear(head,
    h('div', null,
      h('div', { class: 'crumbs' }, link('#/jobs', 'Jobs'), ' / ', link(`#/jobs/${jobId}`, jobId), ' / ', c.key),
      h('h1', null, c.candidateId, ' ', badge(enumName(c.state)), ' ', c.onFront ? badge('on the Pareto front', 'ok') : null)),
    h('div', { class: 'downloads' },
      dl('Bundle (.tar)', paths.bundle(jobId, c.key), `${c.candidateId}.tar`, 'download-bundle'),
      dl('Firmware (.elf)', paths.firmware(jobId, c.key, 'elf'), `${c.candidateId}.elf`, 'download-elf'),
      dl('Firmware (.bin)', paths.firmware(jobId, c.key, 'bin'), `${c.candidateId}.bin`, 'download-bin'),
      status));
  if (c.error) head.append(errorBox({ message: c.error, code: enumName(c.state) }, 'This candidate failed'));
}

function renderCards(el: HTMLElement, c: Candidate, plan: CandidatePlan | null,
                     ms: CandidateMeasurements | null, boardSram: number): void {
  const peak = num(c.metrics?.peakSramBytes);
  const p = ms?.prediction;
  const sp = ms?.spread;
  const params = plan
    ? [`n_patch ${plan.n_patch}`, `split ${plan.split_idx}`, plan.inplace_depthwise ? 'in-place dw' : 'no in-place dw',
       `order: ${plan.order_source}`].join(' · ')
    : '…';
  clear(el,
    card('Strategy', c.strategy, params, 'card-strategy'),
    card('Measured latency', c.measured?.latency ? `${count(c.measured.latency)} ${c.measured.unit}` : '—',
      sp ? `n=${sp.count} · min ${count(sp.min)} · max ${count(sp.max)} · σ ${count(sp.stddev)}`
        : c.measured?.boardUri || 'not measured', 'card-measured'),
    card('Predicted', c.predicted?.latency ? `${count(c.predicted.latency)} ${c.predicted.unit}` : '—',
      c.predicted?.latency ? [`interval ${count(c.predicted.low)}–${count(c.predicted.high)} · ${c.predicted.model}`,
        p?.error_pct !== null && p?.error_pct !== undefined
          ? h('div', { class: Math.abs(p.error_pct) > 20 ? 'bad-text' : 'ok-text' },
            `error ${signedPct(p.error_pct)}${p.within_interval ? ' (inside the interval)' : ' (outside the interval)'}`)
          : h('div', { class: 'muted' }, p && !p.comparable && p.measured ? `not comparable: ${p.unit} vs ${p.measured_unit}` : '')] : 'no prediction',
      'card-predicted'),
    card('Peak SRAM (planned)', h('span', { 'data-testid': 'peak-sram' }, bytes(peak)),
      boardSram ? `${pct(peak / boardSram)} of the board's ${bytes(boardSram)}` : `${int(peak)} B`),
    card('Flash', bytes(num(c.measured?.flashBytes) || c.metrics?.flashBytes),
      num(c.measured?.flashBytes) ? `linked · planned ${bytes(c.metrics?.flashBytes)}` : 'planned'),
    card('MACs', count(c.metrics?.macs), `${count(c.metrics?.macsRecomputed)} recomputed · ${int(c.metrics?.kernelCalls)} kernel calls`));
}

const ROLES: [keyof CandidatePlan['steps'], string, string][] = [
  ['input', 'inputs of the step', PALETTE[0]],
  ['output', 'outputs of the step', PALETTE[1]],
  ['other', 'other live tensors', '#94a3b8'],
  ['stream', 'stream buffers', PALETTE[2]],
  ['overlay', 'overlay / DMA buffers', PALETTE[3]],
  ['scratch', 'kernel scratch', PALETTE[4]],
];

function renderMemory(el: HTMLElement, plan: CandidatePlan, boardSram: number): void {
  const s = plan.steps;
  const n = s.op.length;
  const labels = s.op.map((op, i) => `${i}: op ${op} ${s.op_type[i]}${s.patch[i] >= 0 ? ` p${s.patch[i]}` : ''}`);
  const chartEl = h('div', { class: 'chart chart-memory', 'data-testid': 'memory-chart' });
  const mismatch = plan.stored_peak_sram_bytes >= 0 && plan.stored_peak_sram_bytes !== plan.peak_sram_bytes;
  clear(el,
    h('p', { class: 'muted small' },
      `${int(plan.num_steps)} steps${plan.steps_truncated ? ` (first ${int(n)} shown)` : ''}; each bar is the SRAM live during one step, ` +
      'aliased (in-place) buffers counted once. The red line is the planned peak: the size of the SRAM layout ' +
      '(arena + stream + overlay + scratch), which can exceed the largest bar when the arena is fragmented. ' +
      `Execution order: ${plan.order_source}${plan.order_from === 'report.json' ? ' (as built)' : ' (re-planned)'}.`),
    mismatch ? errorBox({ message: `the re-planned peak ${int(plan.peak_sram_bytes)} B differs from the stored ${int(plan.stored_peak_sram_bytes)} B`, code: 'PLAN DRIFT' }, 'Plan differs from the job') : null,
    chartEl,
    h('div', { class: 'cards compact' },
      card('Planned peak', h('span', { 'data-testid': 'memory-peak' }, `${int(plan.peak_sram_bytes)} B`), bytes(plan.peak_sram_bytes)),
      card('Largest step', `${int(plan.peak_live_bytes)} B`, `step ${plan.peak_live_step}: ${labels[plan.peak_live_step] ?? ''}`),
      card('Arena', bytes(num(plan.memory.arena_bytes)), `heuristic ${plan.memory.arena_heuristic} · lower bound ${bytes(num(plan.memory.live_lower_bound_bytes))}`),
      card('Stream / overlay / scratch', `${bytes(num(plan.memory.stream_buffer_bytes))} / ${bytes(num(plan.memory.overlay_buffer_bytes))} / ${bytes(num(plan.memory.scratch_bytes))}`),
      boardSram ? card('Headroom', bytes(boardSram - plan.peak_sram_bytes), `board SRAM ${bytes(boardSram)}`) : null));
  const many = n > 60;
  const series = ROLES.map(([k, name, color], i) => ({
    name, type: 'bar', stack: 'sram', large: n > 2000, barCategoryGap: many ? '5%' : '25%',
    itemStyle: { color }, emphasis: { focus: 'series' },
    data: s[k] as number[],
    ...(i === 0 ? {
      markLine: {
        symbol: 'none', silent: false,
        lineStyle: { color: '#dc2626', width: 2 },
        label: { formatter: `planned peak ${int(plan.peak_sram_bytes)} B`, position: 'insideEndTop', color: '#b91c1c', fontWeight: 600 },
        data: [{ yAxis: plan.peak_sram_bytes, name: 'planned peak' }],
      },
    } : {}),
    ...(i === ROLES.length - 1 ? {
      markPoint: {
        symbol: 'pin', symbolSize: 38, itemStyle: { color: '#0f172a' },
        label: { formatter: 'max', color: '#fff', fontSize: 10 },
        data: [{ coord: [plan.peak_live_step, plan.peak_live_bytes], name: 'largest step' }],
      },
    } : {}),
  }));
  makeChart('memory', chartEl, {
    animation: false,
    legend: { top: 0, textStyle: { color: '#334155' } },
    grid: { left: 78, right: 24, top: 40, bottom: many ? 72 : 80 },
    tooltip: {
      trigger: 'axis', axisPointer: { type: 'shadow' },
      formatter: (ps: { dataIndex: number; seriesName: string; value: number; color: string }[]) => {
        const i = ps[0]?.dataIndex ?? 0;
        return `<div class="tt"><b>step ${labels[i]}</b><table>${ps.filter((p) => p.value > 0).map((p) =>
          `<tr><td><span class="dot" style="background:${p.color}"></span>${p.seriesName}</td><td>${int(p.value)} B</td></tr>`).join('')}` +
          `<tr><td><b>total</b></td><td><b>${int(s.total[i])} B</b></td></tr><tr><td>MACs</td><td>${count(s.macs[i])}</td></tr></table></div>`;
      },
    },
    xAxis: { type: 'category', data: labels, axisLabel: { ...axisStyle.axisLabel, rotate: many ? 0 : 40, fontSize: 10,
      formatter: (v: string) => (many ? v.split(':')[0] : v.replace(/^\d+: /, '')) }, axisLine: axisStyle.axisLine },
    yAxis: { type: 'value', name: 'SRAM', min: 0,
      max: (v: { max: number }) => Math.max(v.max, plan.peak_sram_bytes) * 1.1,
      axisLabel: { ...axisStyle.axisLabel, formatter: (v: number) => bytes(v) }, splitLine: axisStyle.splitLine,
      nameTextStyle: axisStyle.nameTextStyle },
    dataZoom: many ? [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8 }] : undefined,
    series,
  });
  void boardSram;
}

function renderMacs(el: HTMLElement, plan: CandidatePlan): void {
  const ops = plan.ops.filter((o) => o.macs > 0 || o.layerwise_macs > 0);
  if (ops.length === 0) {
    clear(el, emptyState('No MACs', 'This model has no multiply-accumulate operators.'));
    return;
  }
  const chartEl = h('div', { class: 'chart chart-macs', style: `height:${Math.max(260, 22 * ops.length + 80)}px` });
  const recomputed = ops.some((o) => o.macs !== o.layerwise_macs);
  clear(el, h('p', { class: 'muted small' }, recomputed
    ? 'As scheduled (with the recomputation of overlapping patches) against layer-wise.'
    : 'Per operator, as scheduled (no recomputation in this plan).'), chartEl);
  const labels = ops.map((o) => `${o.op} ${o.type}`);
  makeChart('macs', chartEl, {
    animation: false,
    legend: { top: 0, textStyle: { color: '#334155' } },
    grid: { left: 170, right: 32, top: 32, bottom: 28 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: number) => `${int(v)} MACs` },
    yAxis: { type: 'category', data: labels, inverse: true, axisLabel: { ...axisStyle.axisLabel, fontSize: 11 } },
    xAxis: { type: 'value', axisLabel: { ...axisStyle.axisLabel, formatter: (v: number) => count(v) }, splitLine: axisStyle.splitLine },
    series: [
      { name: 'as scheduled', type: 'bar', data: ops.map((o) => o.macs), itemStyle: { color: PALETTE[0] } },
      ...(recomputed ? [{ name: 'layer-wise', type: 'bar', data: ops.map((o) => o.layerwise_macs), itemStyle: { color: '#cbd5e1' } }] : []),
    ],
  });
}

function renderMeasurements(el: HTMLElement, c: Candidate, ms: CandidateMeasurements): void {
  const sp = ms.spread;
  const p = ms.prediction;
  const table = pagedTable<FarmMeasurement>([
    { title: 'Run', class: 'num', cell: (m) => `${m.run_id}.${m.attempt}` },
    { title: 'Board', cell: (m) => h('code', null, m.board_uri) },
    { title: 'Status', cell: (m) => badge(m.status, m.status === 'ok' ? 'ok' : 'bad') },
    { title: 'Per inference', class: 'num', cell: (m) => `${int(m.per_inference)} ${m.unit}` },
    { title: 'Runs', class: 'num', cell: (m) => `${m.runs} (+${m.warmup} warm-up)` },
    { title: 'Output', cell: (m) => (m.output_matches === null ? '—' : m.output_matches ? badge('matches', 'ok') : badge('differs', 'bad')) },
    { title: 'Stack', class: 'num', cell: (m) => bytes(m.stack_high_water_bytes) },
    { title: 'Wall', class: 'num', cell: (m) => `${m.wall_seconds.toFixed(2)} s` },
    { title: 'Finished', cell: (m) => h('span', { title: m.counted_by }, time(m.finished_at)) },
  ], ms.measurements, { pageSize: 10, testid: 'measurements-table',
    empty: emptyState('No measurements', c.state === 'CANDIDATE_STATE_ENUMERATED' || c.state === 'CANDIDATE_STATE_SELECTED'
      ? 'This candidate has not been built and run yet.' : 'No farm run recorded for this candidate.') });
  clear(el,
    sp ? h('div', { class: 'cards compact' },
      card('Median', `${int(sp.median)} ${sp.unit}`, `${sp.count} ok measurement${sp.count === 1 ? '' : 's'} of this firmware`),
      card('Spread', `${int(sp.min)} – ${int(sp.max)}`, `σ ${count(sp.stddev)} (${sp.mean ? pct(sp.stddev / sp.mean, 2) : '—'} of the mean)`),
      card('Prediction', p.latency !== null ? `${int(p.latency)} ${p.unit}` : '—',
        p.error_pct !== null ? `error ${signedPct(p.error_pct)} · ${p.model}` : p.model || 'no model')) : null,
    table.el,
    ms.measurements.some((m) => m.counted_by) ? h('p', { class: 'muted small' }, 'Counted by: ', ms.measurements.find((m) => m.counted_by)!.counted_by) : null);
}

// The Pareto chart of one board kind of a job: measured candidates as
// latency (x) against planned peak SRAM (y), coloured by strategy or by
// flash (symbol size always grows with flash), the measured front as its
// own series with a step line through it, predictions (candidates not
// measured yet) as hollow markers, and the SRAM budget as a line. Hover
// shows the numbers; a click calls `open` with the candidate key.
import { axisStyle, makeChart, strategyColor, type Chart } from '../charts';
import { bytes, count, enumName, num, signedPct } from '../format';
import type { Candidate } from '../types';

export interface ParetoOptions {
  board: string;
  candidates: Candidate[]; // every candidate of the job on this board kind
  sramBudget: number;      // bytes: the job's budget or the board's SRAM
  budgetLabel: string;
  colorBy: 'strategy' | 'flash';
  showPredicted: boolean;
  open: (key: string) => void;
}

const FRONT = 'Pareto front';
const PREDICTED = 'Predicted (not measured)';
const PREDICTED_MEASURED = 'Predicted (measured ones)';

function isMeasured(c: Candidate): boolean {
  return c.state === 'CANDIDATE_STATE_MEASURED' && (c.measured?.latency ?? 0) > 0;
}

function flashOf(c: Candidate): number {
  return num(c.measured?.flashBytes) || num(c.metrics?.flashBytes);
}

export function paretoChart(el: HTMLElement, o: ParetoOptions): Chart {
  const measured = o.candidates.filter(isMeasured);
  const unit = measured[0]?.measured?.unit || o.candidates.find((c) => c.predicted?.unit)?.predicted?.unit || '';
  const predicted = o.showPredicted
    ? o.candidates.filter((c) => !isMeasured(c) && (c.predicted?.latency ?? 0) > 0 &&
        (!unit || c.predicted?.unit === unit))
    : [];
  const byKey = new Map(o.candidates.map((c) => [c.key, c]));
  const flashes = [...measured, ...predicted].map(flashOf).filter((f) => f > 0);
  const fMin = Math.min(...flashes, Infinity), fMax = Math.max(...flashes, -Infinity);
  const size = (f: number) => (fMax > fMin ? 9 + 13 * ((f - fMin) / (fMax - fMin)) : 13);
  const point = (c: Candidate, latency: number) => ({
    name: c.key,
    value: [latency, num(c.metrics?.peakSramBytes), flashOf(c)],
    symbolSize: size(flashOf(c)),
  });
  const strategies = [...new Set(measured.filter((c) => !c.onFront).map((c) => c.strategy))].sort();
  const front = measured.filter((c) => c.onFront)
    .sort((a, b) => (a.measured!.latency - b.measured!.latency));
  // Staircase through the front (non-dominated: latency up, SRAM down).
  const stairs: [number, number][] = [];
  front.forEach((c, i) => {
    const p: [number, number] = [c.measured!.latency, num(c.metrics?.peakSramBytes)];
    if (i > 0) stairs.push([p[0], stairs[stairs.length - 1][1]]);
    stairs.push(p);
  });
  const series: Record<string, unknown>[] = strategies.map((s) => ({
    name: s, type: 'scatter',
    itemStyle: { color: strategyColor(s), opacity: 0.75 },
    data: measured.filter((c) => !c.onFront && c.strategy === s).map((c) => point(c, c.measured!.latency)),
  }));
  series.push({
    name: PREDICTED, type: 'scatter', symbol: 'emptyCircle',
    itemStyle: { color: '#64748b', opacity: 0.6, borderType: 'dashed' },
    data: predicted.map((c) => point(c, c.predicted!.latency)),
  });
  // For measured candidates: where the cost model had put them, joined to
  // the measurement by a dotted line (the prediction error at a glance).
  const predictedMeasured = o.showPredicted
    ? measured.filter((c) => (c.predicted?.latency ?? 0) > 0 && c.predicted?.unit === c.measured?.unit)
    : [];
  series.push({
    name: PREDICTED_MEASURED, type: 'scatter', symbol: 'emptyCircle', symbolSize: 7,
    itemStyle: { color: '#94a3b8' },
    data: predictedMeasured.map((c) => ({ ...point(c, c.predicted!.latency), symbolSize: 7 })),
  });
  series.push({
    name: 'prediction error', type: 'line', silent: true, showSymbol: false, connectNulls: false,
    lineStyle: { color: '#94a3b8', width: 1, type: 'dotted' }, tooltip: { show: false },
    data: predictedMeasured.flatMap((c) => [[c.predicted!.latency, num(c.metrics?.peakSramBytes)],
      [c.measured!.latency, num(c.metrics?.peakSramBytes)], '-']),
  });
  series.push({
    name: 'front line', type: 'line', data: stairs, showSymbol: false, silent: true,
    lineStyle: { color: '#0f172a', width: 1.5, type: 'dashed' }, z: 1, tooltip: { show: false },
  });
  series.push({
    name: FRONT, type: 'scatter', symbol: 'diamond', z: 5,
    itemStyle: { borderColor: '#0f172a', borderWidth: 2, color: '#0f172a' },
    emphasis: { scale: 1.4 },
    data: front.map((c) => ({ ...point(c, c.measured!.latency), symbolSize: point(c, 0).symbolSize + 5,
      itemStyle: o.colorBy === 'strategy' ? { color: strategyColor(c.strategy) } : undefined })),
    markLine: o.sramBudget > 0 ? {
      silent: true, symbol: 'none',
      lineStyle: { color: '#dc2626', type: 'solid', width: 1.5 },
      label: { formatter: `${o.budgetLabel} ${bytes(o.sramBudget)}`, position: 'insideEndTop', color: '#b91c1c' },
      data: [{ yAxis: o.sramBudget, name: 'SRAM budget' }],
    } : undefined,
  });
  const legend = [...strategies, FRONT, ...(predicted.length ? [PREDICTED] : []),
    ...(predictedMeasured.length ? [PREDICTED_MEASURED] : [])];
  const chart = makeChart(`pareto:${o.board}`, el, {
    animation: false,
    title: { text: o.board, left: 8, top: 4, textStyle: { fontSize: 14, color: '#0f172a' } },
    legend: { data: legend, top: 4, right: 8, textStyle: { color: '#334155' } },
    grid: { left: 78, right: 28, top: 48, bottom: o.colorBy === 'flash' ? 84 : 54 },
    tooltip: {
      trigger: 'item',
      formatter: (p: { name: string; seriesName: string }) =>
        tooltip(byKey.get(p.name), p.seriesName === PREDICTED || p.seriesName === PREDICTED_MEASURED),
    },
    xAxis: {
      type: 'value', name: `latency (${unit || 'per inference'})`, nameLocation: 'middle', nameGap: 30,
      scale: true, axisLabel: { ...axisStyle.axisLabel, formatter: (v: number) => count(v) },
      axisLine: axisStyle.axisLine, splitLine: axisStyle.splitLine, nameTextStyle: axisStyle.nameTextStyle,
    },
    yAxis: {
      type: 'value', name: 'peak SRAM', nameLocation: 'middle', nameGap: 62, scale: true,
      ...budgetAxis(o.sramBudget, [...measured, ...predicted].map((c) => num(c.metrics?.peakSramBytes))),
      axisLabel: { ...axisStyle.axisLabel, formatter: (v: number) => bytes(v) },
      axisLine: axisStyle.axisLine, splitLine: axisStyle.splitLine, nameTextStyle: axisStyle.nameTextStyle,
    },
    visualMap: o.colorBy === 'flash' && fMax > fMin ? {
      type: 'continuous', dimension: 2, min: fMin, max: fMax, calculable: false,
      orient: 'horizontal', left: 'center', bottom: 4, itemHeight: 160, itemWidth: 10,
      text: [`flash ${bytes(fMax)}`, bytes(fMin)], textStyle: { color: '#475569', fontSize: 11 },
      inRange: { color: ['#22c55e', '#eab308', '#dc2626'] },
      seriesIndex: series.map((s, i) => (s.type === 'scatter' ? i : -1)).filter((i) => i >= 0),
    } : undefined,
    series,
  });
  chart.on('click', (p) => {
    const key = (p as { name?: string }).name;
    if (key && byKey.has(key)) o.open(key);
  });
  return chart;
}

// The y range with the budget line in it: when the budget is far above the
// points, an axis break hides the empty band between them.
function budgetAxis(budget: number, ys: number[]): Record<string, unknown> {
  if (!(budget > 0) || ys.length === 0) return {};
  const lo = Math.min(...ys), hi = Math.max(...ys);
  if (budget <= hi * 2) return { max: (v: { max: number }) => Math.max(v.max, budget) * 1.05 };
  const start = hi + Math.max((hi - lo) * 0.3, hi * 0.05);
  return {
    max: budget * 1.03,
    breaks: [{ start, end: budget * 0.97, gap: '14%' }],
    breakArea: { expandOnClick: false, zigzagAmplitude: 3, itemStyle: { color: '#f1f5f9' } },
  };
}

function tooltip(c: Candidate | undefined, predictedPoint: boolean): string {
  if (!c) return '';
  const esc = (s: string) => s.replace(/[<>&]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[ch]!);
  const rows: [string, string][] = [['strategy', c.strategy], ['state', enumName(c.state)]];
  if (c.measured && c.measured.latency > 0) rows.push(['measured', `${count(c.measured.latency)} ${c.measured.unit}`]);
  if (c.predicted && c.predicted.latency > 0) {
    rows.push(['predicted', `${count(c.predicted.latency)} ${c.predicted.unit} (${count(c.predicted.low)}–${count(c.predicted.high)})`]);
    if (c.measured && c.measured.latency > 0 && c.measured.unit === c.predicted.unit) {
      rows.push(['prediction error', signedPct(100 * (c.predicted.latency - c.measured.latency) / c.measured.latency)]);
    }
  }
  rows.push(['peak SRAM', bytes(c.metrics?.peakSramBytes)]);
  rows.push(['flash', num(c.measured?.flashBytes) ? `${bytes(c.measured?.flashBytes)} (linked)` : `${bytes(c.metrics?.flashBytes)} (planned)`]);
  rows.push(['MACs', count(c.metrics?.macs)]);
  return `<div class="tt"><b>${esc(c.candidateId)}</b>${c.onFront ? ' <span class="tt-front">on the front</span>' : ''}` +
    `${predictedPoint ? ' <i>(prediction)</i>' : ''}<table>${rows.map(([k, v]) =>
      `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table><div class="tt-hint">click to open</div></div>`;
}

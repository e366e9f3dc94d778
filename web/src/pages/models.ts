// Models: the uploaded models with their summary, upload from the browser
// (the daemon validates the bytes; its error is shown as it is), and per
// model the analysis (memory per operator with the peak, MACs) and a form
// that starts a tuning job.
import { api } from '../api';
import { axisStyle, makeChart, PALETTE } from '../charts';
import { card, clear, emptyState, errorBox, h, link, loading, pagedTable, section } from '../dom';
import { ago, bytes, count, int, num } from '../format';
import type { PageCtx } from '../page';
import type { BoardKind, Model } from '../types';

export function modelsPage(ctx: PageCtx): void {
  const status = h('div');
  const uploadStatus = h('div', { 'data-testid': 'upload-status' });
  const file = h('input', { type: 'file', id: 'model-file', accept: '.tflite,application/octet-stream' });
  const name = h('input', { type: 'text', id: 'model-name', placeholder: 'name (optional)', maxLength: 128 });
  const table = pagedTable<Model>([
    { title: 'Name', cell: (m) => link(`#/models/${m.id}`, m.name), sort: (m) => m.name },
    { title: 'Id (SHA-256)', cell: (m) => h('code', { title: m.id }, `${m.id.slice(0, 12)}…`) },
    { title: 'Operators', class: 'num', cell: (m) => String(m.summary?.operators ?? '—'), sort: (m) => m.summary?.operators ?? 0 },
    { title: 'MACs', class: 'num', cell: (m) => count(m.summary?.macs), sort: (m) => num(m.summary?.macs) },
    { title: 'Params', class: 'num', cell: (m) => bytes(m.summary?.params), sort: (m) => num(m.summary?.params) },
    { title: 'Input → output', cell: (m) => `${shape(m.summary?.inputShape)} → ${shape(m.summary?.outputShape)}` },
    { title: 'Size', class: 'num', cell: (m) => bytes(m.sizeBytes), sort: (m) => num(m.sizeBytes) },
    { title: 'Uploaded', cell: (m) => h('span', { title: m.uploadedAt }, ago(m.uploadedAt)), sort: (m) => m.uploadedAt },
  ], [], { pageSize: 20, testid: 'models-table',
    empty: emptyState('No models yet', 'Upload a .tflite file above, or let ', h('code', null, 'mcutune submit'), ' upload one.') });
  const upload = async (e: Event) => {
    e.preventDefault();
    const f = file.files?.[0];
    if (!f) {
      clear(uploadStatus, errorBox({ message: 'choose a .tflite file first' }, 'Nothing to upload'));
      return;
    }
    clear(uploadStatus, loading(`Uploading ${f.name} (${bytes(f.size)})…`));
    try {
      const m = await api.uploadModel(name.value.trim(), await f.arrayBuffer());
      clear(uploadStatus, h('div', { class: 'notice' }, m.deduplicated ? 'Already stored: ' : 'Uploaded: ',
        link(`#/models/${m.id}`, m.name), ` · ${m.summary?.operators ?? '?'} operators · ${count(m.summary?.macs)} MACs`));
      await refresh();
    } catch (err) {
      clear(uploadStatus, errorBox(err, `The daemon rejected ${f.name}`));
    }
  };
  ctx.root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Models')),
    section('Upload a model',
      h('form', { class: 'upload-form', onsubmit: upload }, file, name,
        h('button', { type: 'submit', class: 'primary', id: 'model-upload' }, 'Upload')),
      h('p', { class: 'muted small' }, 'An int8 TFLite flatbuffer. The daemon imports it with the real reader and refuses anything it cannot tune, with the reason.'),
      uploadStatus),
    status, h('div', { class: 'panel' }, table.el));
  const refresh = async () => {
    try {
      const { models } = await api.models();
      if (!ctx.alive()) return;
      clear(status);
      table.update(models);
    } catch (e) {
      clear(status, errorBox(e, 'Could not list the models'));
    }
  };
  clear(status, loading());
  void refresh();
}

function shape(s?: number[]): string {
  return s && s.length ? s.join('×') : '—';
}

interface AnalysisOp {
  index: number; type: string; output?: string; macs: number; params_bytes: number;
  input_bytes: number; output_bytes: number; live_bytes: number; total_bytes: number;
}

export async function modelPage(ctx: PageCtx): Promise<void> {
  const [id] = ctx.params;
  const body = h('div', null, loading());
  ctx.root.append(body);
  let model: Model;
  let kinds: BoardKind[] = [];
  try {
    [model, kinds] = await Promise.all([api.model(id), api.boards().then((b) => b.boards).catch(() => [])]);
  } catch (e) {
    clear(body, errorBox(e, `Could not load model ${id}`));
    return;
  }
  let analysis: { ops?: AnalysisOp[]; peak_live_bytes?: number; peak_op?: number; params_bytes?: number } = {};
  try { analysis = JSON.parse(model.analysisJson || '{}'); } catch { /* shown as missing */ }
  const ops = analysis.ops ?? [];
  const memEl = h('div', { class: 'chart chart-model-memory' });
  clear(body,
    h('div', { class: 'page-head' }, h('div', null,
      h('div', { class: 'crumbs' }, link('#/models', 'Models'), ' / ', model.name),
      h('h1', null, model.name))),
    h('div', { class: 'cards' },
      card('Operators', String(model.summary?.operators ?? ops.length), `${model.summary?.tensors ?? '?'} tensors`),
      card('MACs', count(model.summary?.macs), `${int(model.summary?.macs)}`),
      card('Parameters', bytes(model.summary?.params), 'int8 weights + biases'),
      card('Peak live (layer-wise)', bytes(analysis.peak_live_bytes), analysis.peak_op !== undefined && analysis.peak_op >= 0 ? `at operator ${analysis.peak_op}` : ''),
      card('Input → output', `${shape(model.summary?.inputShape)} → ${shape(model.summary?.outputShape)}`),
      card('File', bytes(model.sizeBytes), h('code', { class: 'small' }, `${model.id.slice(0, 16)}…`))),
    section('Tune this model', tuneForm(ctx, model, kinds)),
    section('Activation memory per operator (model order, layer-wise)',
      ops.length ? memEl : emptyState('No analysis', 'The daemon stored no analysis for this model.')));
  if (ops.length) {
    const labels = ops.map((o) => `${o.index} ${o.type}`);
    makeChart('model-memory', memEl, {
      animation: false,
      legend: { top: 0 },
      grid: { left: 78, right: 60, top: 36, bottom: 90 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: number) => `${int(v)} B` },
      xAxis: { type: 'category', data: labels, axisLabel: { ...axisStyle.axisLabel, rotate: 45, fontSize: 10 } },
      yAxis: [
        { type: 'value', name: 'bytes', axisLabel: { formatter: (v: number) => bytes(v) }, splitLine: axisStyle.splitLine },
        { type: 'value', name: 'MACs', axisLabel: { formatter: (v: number) => count(v) }, splitLine: { show: false } },
      ],
      series: [
        { name: 'input', type: 'bar', stack: 'm', data: ops.map((o) => o.input_bytes), itemStyle: { color: PALETTE[0] } },
        { name: 'output', type: 'bar', stack: 'm', data: ops.map((o) => o.output_bytes), itemStyle: { color: PALETTE[1] } },
        { name: 'other live', type: 'bar', stack: 'm', data: ops.map((o) => o.live_bytes), itemStyle: { color: '#94a3b8' },
          markLine: analysis.peak_live_bytes ? { symbol: 'none', lineStyle: { color: '#dc2626' },
            label: { formatter: `peak ${bytes(analysis.peak_live_bytes)}`, position: 'insideEndTop', color: '#b91c1c' },
            data: [{ yAxis: analysis.peak_live_bytes }] } : undefined },
        { name: 'MACs', type: 'line', yAxisIndex: 1, data: ops.map((o) => o.macs), itemStyle: { color: PALETTE[3] }, symbolSize: 4 },
      ],
    });
  }
}

function tuneForm(ctx: PageCtx, model: Model, kinds: BoardKind[]): HTMLElement {
  const available = kinds.filter((k) => k.instances.length > 0);
  if (available.length === 0) {
    return emptyState('No boards to tune on', 'The farm has no board of any kind; see the ', link('#/boards', 'Boards'), ' page.');
  }
  const boxes = available.map((k, i) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', value: k.kind, checked: i === 0 }), ` ${k.kind} `,
    h('span', { class: 'muted small' }, `${bytes(k.sramBytes)} SRAM · ${k.instances.length} in farm`)));
  const budget = h('input', { type: 'number', min: 1, max: 10000, value: 8, 'aria-label': 'measurement budget' });
  const batch = h('input', { type: 'number', min: 1, max: 64, value: 4, 'aria-label': 'batch size' });
  const sram = h('input', { type: 'number', min: 0, placeholder: 'all', 'aria-label': 'SRAM budget KiB' });
  const label = h('input', { type: 'text', maxLength: 200, placeholder: 'label (optional)' });
  const status = h('div');
  const submit = async (e: Event) => {
    e.preventDefault();
    const boardKinds = boxes.map((b) => b.querySelector('input')!).filter((i) => i.checked).map((i) => i.value);
    clear(status, loading('Starting…'));
    try {
      const job = await api.startJob({
        modelId: model.id, boardKinds, measurementBudget: Number(budget.value), batchSize: Number(batch.value),
        label: label.value.trim(),
        constraints: sram.value ? { sramBudgetBytes: String(Math.round(Number(sram.value) * 1024)) } : undefined,
      });
      ctx.navigate(`#/jobs/${job.id}`);
    } catch (err) {
      clear(status, errorBox(err, 'The daemon did not start the job'));
    }
  };
  return h('form', { class: 'tune-form', onsubmit: submit },
    h('div', { class: 'field' }, h('div', { class: 'field-label' }, 'Board kinds'), h('div', { class: 'checks' }, boxes)),
    h('div', { class: 'field-row' },
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Measurements'), budget),
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Batch'), batch),
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'SRAM budget (KiB)'), sram),
      h('label', { class: 'field grow' }, h('span', { class: 'field-label' }, 'Label'), label),
      h('button', { type: 'submit', class: 'primary' }, 'Start tuning')),
    status);
}

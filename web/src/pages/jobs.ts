// Jobs: every job with its state, model, boards and progress. Polls the
// daemon every 2 s while a job is queued or running (every 10 s otherwise),
// keeping the table's page and sort.
import { api } from '../api';
import { badge, clear, emptyState, errorBox, h, link, loading, pagedTable, progress } from '../dom';
import { ago, enumName, shortId } from '../format';
import type { PageCtx } from '../page';
import type { Job } from '../types';

export function jobsPage(ctx: PageCtx): void {
  const stateSelect = h('select', { 'aria-label': 'state filter' },
    ['all', 'queued', 'running', 'done', 'failed', 'cancelled'].map((s) => h('option', { value: s === 'all' ? '' : s }, s)));
  const live = h('span', { class: 'live' });
  const status = h('div');
  const table = pagedTable<Job>([
    { title: 'Job', cell: (j) => link(`#/jobs/${j.id}`, h('code', null, j.id)), sort: (j) => j.id },
    { title: 'Model', cell: (j) => h('span', { title: j.modelId }, j.modelName || shortId(j.modelId)), sort: (j) => j.modelName },
    { title: 'Boards', cell: (j) => (j.request?.boardKinds ?? []).join(', ') },
    { title: 'State', cell: (j) => [badge(enumName(j.state)), ' ', h('span', { class: 'muted' }, j.phase)], sort: (j) => j.state },
    { title: 'Measurements', cell: (j) => progress(j.progress?.measurementsDone ?? 0, j.progress?.measurementBudget ?? 0), sort: (j) => j.progress?.measurementsDone ?? 0 },
    { title: 'Builds', class: 'num', cell: (j) => buildCell(j) },
    { title: 'Front', class: 'num', cell: (j) => j.progress?.frontSize ?? 0, sort: (j) => j.progress?.frontSize ?? 0 },
    { title: 'Label', cell: (j) => h('span', { class: 'muted' }, j.request?.label ?? '') },
    { title: 'Created', cell: (j) => h('span', { title: j.createdAt }, ago(j.createdAt)), sort: (j) => j.createdAt },
    { title: 'Updated', cell: (j) => h('span', { title: j.updatedAt }, ago(j.updatedAt)), sort: (j) => j.updatedAt },
  ], [], {
    pageSize: 20,
    testid: 'jobs-table',
    rowClass: (j) => (j.state === 'JOB_STATE_RUNNING' ? 'row-live' : ''),
    empty: emptyState('No jobs yet',
      'Upload a model on the ', link('#/models', 'Models'), ' page and start a job there, or run ',
      h('code', null, 'mcutune submit MODEL --board-kind qemu-f746 --watch'), '.'),
  });
  let active = false;
  ctx.root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Jobs'),
      h('div', { class: 'toolbar' }, live, h('label', null, 'State ', stateSelect))),
    status, h('div', { class: 'panel' }, table.el));
  clear(status, loading());
  stateSelect.addEventListener('change', () => { clear(status, loading()); void refresh(); });
  const refresh = async () => {
    try {
      const { jobs } = await api.jobs(stateSelect.value);
      if (!ctx.alive()) return;
      active = jobs.some((j) => j.state === 'JOB_STATE_RUNNING' || j.state === 'JOB_STATE_QUEUED');
      clear(live, active ? [h('span', { class: 'pulse' }), 'live: updating every 2 s'] : 'no job running');
      clear(status);
      table.update(jobs);
    } catch (e) {
      clear(status, errorBox(e, 'Could not list the jobs'));
    }
  };
  ctx.every(() => (active ? 2000 : 10000), refresh);
}

function buildCell(j: Job): HTMLElement {
  const p = j.progress;
  if (!p) return h('span', null, '—');
  const failed = (p.buildsFailed ?? 0) + (p.verifyFailed ?? 0);
  return h('span', { title: `${p.buildsDone} built, ${p.buildsFailed} build failed, ${p.verifyFailed} verify failed` },
    String(p.buildsDone ?? 0), failed ? h('span', { class: 'bad-text' }, ` (${failed} failed)`) : null);
}

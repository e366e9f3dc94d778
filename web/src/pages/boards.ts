// Boards: the farm (local virtual/real boards and remote agents' boards)
// with state, health, quarantine, utilisation over the last hour and the
// queue per kind; drain and re-enable call the API. Then the catalogue.
// Refreshes every 5 s.
import { api } from '../api';
import { badge, card, clear, emptyState, errorBox, h, loading, pagedTable, progress, section } from '../dom';
import { ago, bytes, count, num, pct, time } from '../format';
import type { PageCtx } from '../page';
import type { BoardKind, Farm, FarmBoard } from '../types';

export function boardsPage(ctx: PageCtx): void {
  const status = h('div');
  const queue = h('div', { class: 'cards' });
  const actionStatus = h('div');
  let farm: Farm | null = null;
  let kinds: BoardKind[] = [];
  const act = async (b: FarmBoard, drain: boolean) => {
    clear(actionStatus, loading(`${drain ? 'Draining' : 'Enabling'} ${b.uri}…`));
    try {
      farm = drain ? await api.drain(b.uri) : await api.enable(b.uri);
      clear(actionStatus, h('div', { class: 'notice' }, `${b.uri}: ${drain ? 'draining (runs in progress finish first)' : 'enabled'}`));
      render();
    } catch (e) {
      clear(actionStatus, errorBox(e, `Could not ${drain ? 'drain' : 'enable'} ${b.uri}`));
    }
  };
  const fleet = pagedTable<FarmBoard>([
    { title: 'Board', cell: (b) => h('code', null, b.uri), sort: (b) => b.uri },
    { title: 'Kind', cell: (b) => b.kind, sort: (b) => b.kind },
    { title: 'Where', cell: (b) => (b.remote ? [badge(b.agent_online ? 'online' : 'offline'), ` agent ${b.agent}`] : 'local'), sort: (b) => (b.remote ? b.agent : '') },
    { title: 'State', cell: (b) => badge(b.state), sort: (b) => b.state },
    { title: 'Running', class: 'num', cell: (b) => `${b.running.length} / ${b.slots}` },
    { title: 'Health', cell: (b) => health(b) },
    { title: 'Utilisation (1 h)', cell: (b) => progress(Math.round(b.utilisation * 1000), 1000, `${pct(b.utilisation)} · ${b.attempts} runs`), sort: (b) => b.utilisation },
    { title: 'Changed', cell: (b) => h('span', { title: b.updated_at }, ago(b.updated_at)) },
    { title: '', cell: (b) => (b.farm_state === 'active'
      ? h('button', { class: 'small-btn', 'data-action': 'drain', onclick: () => act(b, true) }, 'Drain')
      : h('button', { class: 'small-btn primary', 'data-action': 'enable', onclick: () => act(b, false) }, 'Re-enable')) },
  ], [], { pageSize: 25, testid: 'fleet-table', rowClass: (b) => (b.state === 'quarantined' ? 'row-bad' : ''),
    empty: emptyState('No boards in the farm',
      'Add boards to the farm inventory (', h('code', null, 'farm_inventory'), ' in the daemon config, ',
      h('code', null, 'configs/farm.json'), ') or connect an agent: ', h('code', null, 'mcutune-agent --server HOST:PORT --farm FARM.json'), '.') });
  const catalogue = pagedTable<BoardKind>([
    { title: 'Kind', cell: (k) => h('code', null, k.kind), sort: (k) => k.kind },
    { title: 'Name', cell: (k) => [k.name, k.standsInFor ? h('div', { class: 'muted small' }, `stands in for ${k.standsInFor}`) : null] },
    { title: 'Core', cell: (k) => `${k.core} @ ${count(k.clockHz)}Hz` },
    { title: 'SRAM', class: 'num', cell: (k) => bytes(k.sramBytes), sort: (k) => num(k.sramBytes) },
    { title: 'Flash', class: 'num', cell: (k) => bytes(k.flashBytes), sort: (k) => num(k.flashBytes) },
    { title: 'Type', cell: (k) => [k.isVirtual ? badge('virtual', 'info') : badge('real', 'ok'), k.hasExternalMemory ? [' ', badge('ext. memory', 'neutral')] : null] },
    { title: 'In the farm', class: 'num', cell: (k) => String(k.instances.length), sort: (k) => k.instances.length },
  ], [], { pageSize: 25, testid: 'catalogue-table', empty: emptyState('The board catalogue is empty') });
  ctx.root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Boards'), h('span', { class: 'muted' }, 'refreshes every 5 s')),
    status, actionStatus,
    section('Queue', queue),
    section('Fleet', fleet.el),
    section('Catalogue', catalogue.el));
  clear(status, loading());
  const render = () => {
    if (!farm) return;
    fleet.update(farm.boards);
    const byKind = new Map<string, { queued: number; leased: number }>();
    for (const q of farm.queue) byKind.set(q.kind, q);
    const kindsInFarm = [...new Set([...farm.boards.map((b) => b.kind), ...byKind.keys()])].sort();
    clear(queue, kindsInFarm.length === 0 ? emptyState('Nothing queued', 'No boards and no runs waiting.')
      : kindsInFarm.map((k) => {
        const bs = farm!.boards.filter((b) => b.kind === k);
        const q = byKind.get(k) ?? { queued: 0, leased: 0 };
        const usable = bs.filter((b) => b.farm_state === 'active').length;
        return card(k, `${q.queued} queued`, `${q.leased} running · ${usable}/${bs.length} boards active`, `queue-${k}`);
      }));
    catalogue.update(kinds);
  };
  ctx.every(5000, async () => {
    try {
      const [f, b] = await Promise.all([api.farm(), api.boards()]);
      if (!ctx.alive()) return;
      farm = f;
      kinds = b.boards;
      clear(status);
      render();
    } catch (e) {
      clear(status, errorBox(e, 'Could not read the farm'));
    }
  });
}

function health(b: FarmBoard): HTMLElement {
  if (b.farm_state === 'quarantined') {
    return h('div', null, h('span', { class: 'bad-text' }, b.quarantine_reason || 'quarantined'),
      h('div', { class: 'muted small' }, `${b.health_check_failures} failed re-checks` +
        (b.next_health_check_at ? ` · next check ${time(b.next_health_check_at)}` : '')));
  }
  if (b.consecutive_failures > 0) return h('span', { class: 'warn-text' }, `${b.consecutive_failures} consecutive failures`);
  return h('span', { class: 'ok-text' }, 'healthy');
}

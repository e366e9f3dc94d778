// A small DOM toolkit: h() builds elements, and the shared pieces every page
// uses (state badges, error and empty states, paged tables, cards).
import type { ApiError } from './api';

type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, unknown> & {
  class?: string;
  style?: string;
  onclick?: (e: MouseEvent) => void;
};

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs?: Attrs | null, ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v as EventListener);
    } else if (k === 'class') {
      el.className = String(v);
    } else if (k in el && k !== 'style' && k !== 'list' && !k.includes('-')) {
      (el as unknown as Record<string, unknown>)[k] = v;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

export function clear(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href }, ...children);
}

const STATE_TONES: Record<string, string> = {
  queued: 'neutral', running: 'info', done: 'ok', failed: 'bad', cancelled: 'warn',
  idle: 'ok', busy: 'info', draining: 'warn', drained: 'neutral', quarantined: 'bad',
  measured: 'ok', built: 'info', selected: 'info', enumerated: 'neutral',
  'build failed': 'bad', 'verify failed': 'bad', 'measure failed': 'bad',
  online: 'ok', offline: 'bad',
};

export function badge(text: string, tone?: string): HTMLSpanElement {
  return h('span', { class: `badge ${tone ?? STATE_TONES[text] ?? 'neutral'}` }, text);
}

export function errorBox(err: unknown, what = 'Request failed'): HTMLElement {
  const e = err as Partial<ApiError>;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = e instanceof Error || typeof e?.message === 'string'
    ? String(e.message) : String(err);
  return h('div', { class: 'error-box', role: 'alert' },
    h('strong', null, what),
    code ? h('code', { class: 'error-code' }, code) : null,
    h('div', { class: 'error-message' }, message));
}

export function emptyState(title: string, ...body: Child[]): HTMLElement {
  return h('div', { class: 'empty' }, h('div', { class: 'empty-title' }, title),
    h('div', { class: 'empty-body' }, ...body));
}

export function loading(text = 'Loading…'): HTMLElement {
  return h('div', { class: 'loading' }, h('span', { class: 'spinner' }), text);
}

export function card(label: string, value: Child, sub?: Child, testid?: string): HTMLElement {
  return h('div', { class: 'card', 'data-testid': testid },
    h('div', { class: 'card-label' }, label),
    h('div', { class: 'card-value' }, value),
    sub ? h('div', { class: 'card-sub' }, sub) : null);
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'panel' }, h('h2', null, title), ...children);
}

export interface Column<T> {
  title: string;
  cell: (row: T) => Child;
  class?: string;     // e.g. "num" for right-aligned numbers
  sort?: (row: T) => number | string;
}

// A table over `rows` with client-side paging and optional column sorting;
// `pageSize` rows per page. Returns the element and a setter for new rows
// that keeps the current page and sort (live updates).
export function pagedTable<T>(
  columns: Column<T>[], rows: T[], opts: { pageSize?: number; empty?: Child;
    rowClass?: (row: T) => string; testid?: string } = {},
): { el: HTMLElement; update: (rows: T[]) => void } {
  const pageSize = opts.pageSize ?? 25;
  let page = 0;
  let sortCol = -1;
  let sortDir = 1;
  let data = rows;
  const el = h('div', { class: 'table-wrap', 'data-testid': opts.testid });
  const render = () => {
    let view = data;
    if (sortCol >= 0 && columns[sortCol].sort) {
      const key = columns[sortCol].sort!;
      view = [...data].sort((a, b) => {
        const x = key(a), y = key(b);
        return (x < y ? -1 : x > y ? 1 : 0) * sortDir;
      });
    }
    const pages = Math.max(1, Math.ceil(view.length / pageSize));
    page = Math.min(page, pages - 1);
    const slice = view.slice(page * pageSize, (page + 1) * pageSize);
    const head = h('tr', null, columns.map((c, i) => h('th', {
      class: [c.class, c.sort ? 'sortable' : ''].filter(Boolean).join(' '),
      onclick: c.sort ? () => { sortDir = sortCol === i ? -sortDir : 1; sortCol = i; render(); } : undefined,
    }, c.title, sortCol === i ? (sortDir > 0 ? ' ▲' : ' ▼') : '')));
    const body = slice.map((r) => h('tr', { class: opts.rowClass?.(r) },
      columns.map((c) => h('td', { class: c.class }, c.cell(r)))));
    clear(el,
      view.length === 0 ? (opts.empty ?? emptyState('Nothing to show'))
        : h('table', null, h('thead', null, head), h('tbody', null, body)),
      view.length > pageSize ? h('div', { class: 'pager' },
        h('button', { disabled: page === 0, onclick: () => { page--; render(); } }, '‹ Prev'),
        h('span', null, `${page * pageSize + 1}–${Math.min(view.length, (page + 1) * pageSize)} of ${view.length}`),
        h('button', { disabled: page >= pages - 1, onclick: () => { page++; render(); } }, 'Next ›'))
        : view.length > 0 ? h('div', { class: 'pager muted' }, `${view.length} row${view.length === 1 ? '' : 's'}`) : null);
  };
  render();
  return { el, update: (r: T[]) => { data = r; render(); } };
}

// A progress bar: value / max with a label.
export function progress(value: number, max: number, label?: string): HTMLElement {
  const f = max > 0 ? Math.max(0, Math.min(1, value / max)) : 0;
  return h('div', { class: 'progress', title: `${value} / ${max}` },
    h('div', { class: 'progress-fill', style: `width:${(f * 100).toFixed(1)}%` }),
    h('span', { class: 'progress-label' }, label ?? `${value} / ${max}`));
}

// The dashboard shell: top bar, hash router, token gate and health dot.
// Routes: #/jobs, #/jobs/ID, #/jobs/ID/candidates/KEY, #/boards, #/models,
// #/models/ID, #/sweeps, #/token. Pages live in pages/*.ts.
import './style.css';
import { api, ApiError, getToken, onAuthError } from './api';
import { disposeCharts } from './charts';
import { clear, errorBox, h } from './dom';
import type { Page, PageCtx } from './page';
import { boardsPage } from './pages/boards';
import { candidatePage } from './pages/candidate';
import { jobPage } from './pages/job';
import { jobsPage } from './pages/jobs';
import { modelPage, modelsPage } from './pages/models';
import { sweepsPage } from './pages/sweeps';
import { tokenPage } from './pages/token';

const routes: [RegExp, Page, string][] = [
  [/^#?\/?$/, jobsPage, 'jobs'],
  [/^#\/jobs\/?$/, jobsPage, 'jobs'],
  [/^#\/jobs\/([^/]+)\/?$/, jobPage, 'jobs'],
  [/^#\/jobs\/([^/]+)\/candidates\/([^/]+)\/?$/, candidatePage, 'jobs'],
  [/^#\/boards\/?$/, boardsPage, 'boards'],
  [/^#\/models\/?$/, modelsPage, 'models'],
  [/^#\/models\/([^/]+)\/?$/, modelPage, 'models'],
  [/^#\/sweeps\/?$/, sweepsPage, 'sweeps'],
  [/^#\/token\/?$/, tokenPage, 'token'],
];

const main = h('main', { id: 'page' });
const health = h('span', { class: 'health', title: 'daemon health' });
const navLinks: Record<string, HTMLAnchorElement> = {};
for (const [name, label] of [['jobs', 'Jobs'], ['models', 'Models'], ['boards', 'Boards'],
  ['sweeps', 'Sweeps']] as const) {
  navLinks[name] = h('a', { href: `#/${name}`, 'data-nav': name }, label);
}
const tokenLink = h('a', { href: '#/token', class: 'token-link', 'data-nav': 'token' }, 'Token');
navLinks.token = tokenLink;

document.getElementById('app')!.append(
  h('header', { class: 'topbar' },
    h('a', { class: 'brand', href: '#/jobs' }, h('span', { class: 'brand-mark' }, 'μ'), 'mcutune'),
    h('nav', null, Object.entries(navLinks).filter(([k]) => k !== 'token').map(([, a]) => a)),
    h('div', { class: 'topbar-right' }, health, tokenLink)),
  main);

let leaveHandlers: (() => void)[] = [];
let generation = 0;

function leave(): void {
  generation++;
  for (const f of leaveHandlers) {
    try { f(); } catch { /* a page's cleanup must not block the next page */ }
  }
  leaveHandlers = [];
  disposeCharts();
}

async function route(): Promise<void> {
  leave();
  const gen = generation;
  const hash = location.hash || '#/jobs';
  let page: Page | null = null;
  let params: string[] = [];
  let nav = '';
  for (const [re, p, n] of routes) {
    const m = re.exec(hash);
    if (m) {
      page = p;
      params = m.slice(1).map((s) => decodeURIComponent(s));
      nav = n;
      break;
    }
  }
  for (const [k, a] of Object.entries(navLinks)) a.classList.toggle('active', k === nav);
  const root = h('div', { class: 'page' });
  clear(main, root);
  if (!page) {
    root.append(h('h1', null, 'Not found'), h('p', null, 'No page at ', h('code', null, hash), '. ',
      h('a', { href: '#/jobs' }, 'Back to the jobs')));
    return;
  }
  const ctx: PageCtx = {
    root,
    params,
    alive: () => gen === generation,
    onLeave: (f) => leaveHandlers.push(f),
    navigate: (to) => { location.hash = to; },
    every: (ms, f) => {
      let timer = 0;
      const tick = async () => {
        if (gen !== generation) return;
        try { await f(); } catch { /* the page shows its own errors */ }
        if (gen !== generation) return;
        timer = window.setTimeout(tick, typeof ms === 'function' ? ms() : ms);
      };
      leaveHandlers.push(() => clearTimeout(timer));
      void tick();
    },
  };
  try {
    await page(ctx);
  } catch (e) {
    if (gen === generation) root.append(errorBox(e, 'This page failed to load'));
  }
}

// A refused token sends the user to the token form, then back.
onAuthError(() => {
  if (!location.hash.startsWith('#/token')) {
    sessionStorage.setItem('mcutune.after-token', location.hash || '#/jobs');
    location.hash = '#/token';
  }
});

async function pollHealth(): Promise<void> {
  try {
    const s = await api.health();
    health.className = 'health ok';
    health.textContent = `daemon ok · ${s.jobs_running} running · ${s.jobs_queued} queued`;
  } catch (e) {
    health.className = 'health bad';
    health.textContent = e instanceof ApiError && e.status === 0 ? 'daemon unreachable' : 'daemon error';
  }
  tokenLink.textContent = getToken() ? 'Token ✓' : 'Token';
  setTimeout(pollHealth, 5000);
}

window.addEventListener('hashchange', () => void route());
void route();
void pollHealth();

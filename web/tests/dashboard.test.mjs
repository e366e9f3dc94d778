// Browser test of the web dashboard (docs/dashboard.md): a real headless
// Chromium (Debian's /usr/bin/chromium driven by playwright-core) against
// mcutuned on loopback (ports chosen by the kernel, a temporary data dir,
// two virtual STM32F746 boards) that runs a real small job: ds-cnn-kws on
// qemu-f746 with 6 measurements, submitted with the mcutune CLI.
//
// Checks, each against the daemon's API read independently by this script:
// the token gate, live updates of the job while it runs, the Pareto chart
// has one point per candidate of the API's front (and one per measured
// candidate), a click on a front point opens that candidate, the memory
// chart marks the plan's peak_sram_bytes, the bundle download is the
// archive the API serves (a tar with the generated sources, Makefile and
// firmware), the firmware download is an ELF, a bad upload shows the
// daemon's own error, drain / re-enable change the board's state.
// Screenshots of every page go to $MCUTUNE_WEB_SCREENSHOTS.
//
// Run by ctest (label "browser"): exits 77 (skipped) when Chromium,
// playwright-core, the built dashboard, arm-none-eabi-gcc or
// qemu-system-arm is missing.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = (k, d) => process.env[k] || d;
const SOURCE = env('MCUTUNE_SOURCE_DIR', path.resolve(here, '../..'));
const BUILD = env('MCUTUNE_BUILD_DIR', path.join(SOURCE, 'build'));
const MCUTUNED = env('MCUTUNED', path.join(BUILD, 'bin/mcutuned'));
const CLI = env('MCUTUNE_CLI', path.join(BUILD, 'bin/mcutune'));
const WEB_DIR = env('MCUTUNE_WEB_DIR', path.join(BUILD, 'web/dist'));
const SHOTS = env('MCUTUNE_WEB_SCREENSHOTS', path.join(BUILD, 'web-screenshots'));
const CHROMIUM = env('MCUTUNE_CHROMIUM', '/usr/bin/chromium');

function onPath(program) {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  chromium = null;
}
const missing = [
  [chromium, 'playwright-core (npm ci in web/)'],
  [fs.existsSync(CHROMIUM), CHROMIUM],
  [fs.existsSync(path.join(WEB_DIR, 'index.html')), `the built dashboard in ${WEB_DIR}`],
  [fs.existsSync(MCUTUNED), MCUTUNED],
  [fs.existsSync(CLI), CLI],
  [onPath('arm-none-eabi-gcc'), 'arm-none-eabi-gcc'],
  [onPath('qemu-system-arm'), 'qemu-system-arm'],
].filter(([ok]) => !ok).map(([, what]) => what);
if (missing.length) {
  console.log(`SKIP dashboard browser test: missing ${missing.join(', ')}`);
  process.exit(77);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls `f` until it returns a truthy value; fails after `ms`.
async function until(what, f, ms = 30000, step = 250) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(step);
  }
}

// File names in a POSIX ustar archive (name + prefix fields).
function tarNames(buf) {
  const names = [];
  for (let at = 0; at + 512 <= buf.length; ) {
    const header = buf.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (o, n) => header.subarray(o, o + n).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const prefix = field(345, 155);
    names.push(prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcutune-web-'));
const data = path.join(dir, 'data');
fs.mkdirSync(SHOTS, { recursive: true });
fs.writeFileSync(path.join(dir, 'farm.json'), JSON.stringify({
  boards: [{ uri: 'qemu://qemu-f746/0', kind: 'qemu-f746' }, { uri: 'qemu://qemu-f746/1', kind: 'qemu-f746' }],
  scheduler: { retry_backoff_s: 0.2 },
}));
fs.writeFileSync(path.join(dir, 'mcutuned.json'), JSON.stringify({
  listen: '127.0.0.1:0', http_listen: '127.0.0.1:0', data_dir: data,
  boards_dir: path.join(SOURCE, 'configs/boards'), farm_inventory: path.join(dir, 'farm.json'),
  web_dir: WEB_DIR, limits: { max_concurrent_jobs: 1 },
}));
const log = fs.openSync(path.join(dir, 'daemon.log'), 'a');
const daemon = spawn(MCUTUNED, ['--config', path.join(dir, 'mcutuned.json')], { stdio: ['ignore', log, log] });
let browser = null;

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (daemon.exitCode === null) {
    daemon.kill('SIGTERM');
    await Promise.race([new Promise((r) => daemon.once('exit', r)), sleep(10000)]);
    if (daemon.exitCode === null) daemon.kill('SIGKILL');
  }
  if (process.env.MCUTUNE_KEEP_TEST_DIR) console.log(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}

test('dashboard in headless Chromium against mcutuned after a real job', { timeout: 240000 }, async (t) => {
  t.after(cleanup);
  const info = await until('daemon.json', () => {
    try { return JSON.parse(fs.readFileSync(path.join(data, 'daemon.json'), 'utf8')); } catch { return null; }
  }, 30000);
  const base = `http://${info.http}`;
  assert.match(info.http, /^127\.0\.0\.1:\d+$/);
  const token = fs.readFileSync(path.join(data, 'client.token'), 'utf8').trim();
  const apiRaw = (p, init = {}) => fetch(base + p, { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
  const api = async (p) => {
    const r = await apiRaw(p);
    assert.equal(r.status, 200, `${p}: ${r.status}`);
    return r.json();
  };

  // The job, submitted the way a user does (no --watch: the browser watches).
  const submit = spawnSync(CLI, ['submit', 'ds-cnn-kws', '--board-kind', 'qemu-f746', '--measure-budget', '6',
    '--batch', '3', '--seed', '5', '--label', 'browser-test', '--server', info.grpc,
    '--token-file', path.join(data, 'client.token'), '--json'], { encoding: 'utf8', timeout: 60000 });
  assert.equal(submit.status, 0, submit.stderr);
  const jobId = JSON.parse(submit.stdout).id;
  assert.match(jobId, /^j[0-9a-f]+$/);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const charts = (name, f) => page.evaluate(([n, src]) => {
    const c = window.__mcutuneCharts?.[n];
    return c ? new Function('chart', src)(c) : null;
  }, [name, f]);

  await t.test('without a token the dashboard asks for one; the token opens it', async () => {
    await page.goto(`${base}/#/jobs`);
    await page.waitForSelector('#token-input', { timeout: 15000 });
    assert.equal(new URL(page.url()).hash, '#/token');
    await shot('token');
    await page.fill('#token-input', 'not-the-token-0123456789');
    await page.click('#token-save');
    await page.waitForSelector('.error-box', { timeout: 10000 });
    assert.match(await page.textContent('.error-box'), /UNAUTHENTICATED|PERMISSION_DENIED/);
    await page.fill('#token-input', token);
    await page.click('#token-save');
    await page.waitForFunction(() => location.hash === '#/jobs', null, { timeout: 10000 });
  });

  await t.test('the jobs page follows the running job live until it is done', async () => {
    const row = page.locator('[data-testid=jobs-table] tr', { hasText: jobId });
    await row.waitFor({ timeout: 15000 });
    await shot('jobs-running');
    // No reload: the page's own polling must show the job progressing and
    // finishing. Record what the row shows over time.
    await page.evaluate((id) => {
      window.__seen = new Set();
      setInterval(() => {
        const tr = [...document.querySelectorAll('[data-testid=jobs-table] tr')].find((r) => r.textContent.includes(id));
        if (tr) window.__seen.add(`${tr.querySelector('.badge')?.textContent}|${tr.querySelector('.progress-label')?.textContent}`);
      }, 100);
    }, jobId);
    await page.waitForFunction((id) => [...document.querySelectorAll('[data-testid=jobs-table] tr')]
      .some((tr) => tr.textContent.includes(id) && tr.querySelector('.badge')?.textContent === 'done'),
    jobId, { timeout: 180000, polling: 500 });
    await page.waitForFunction(() => [...window.__seen].some((s) => s.startsWith('done|')), null, { timeout: 5000 });
    const job = await api(`/api/v1/jobs/${jobId}`);
    assert.equal(job.state, 'JOB_STATE_DONE', job.error);
    const seen = await page.evaluate(() => [...window.__seen]);
    assert.ok(seen.some((s) => !s.startsWith('done|')), `saw the job before it was done: ${seen}`);
    assert.ok(seen.includes(`done|${job.progress.measurementsDone} / ${job.progress.measurementBudget}`), `${seen}`);
    assert.ok(seen.length >= 2, `the row changed while the job ran: ${seen}`);
    await shot('jobs');
  });

  const front = await api(`/api/v1/jobs/${jobId}/front`);
  const { candidates } = await api(`/api/v1/jobs/${jobId}/candidates`);
  const measured = candidates.filter((c) => c.state === 'CANDIDATE_STATE_MEASURED');
  assert.ok(front.candidates.length >= 1, 'the job has a front');
  const chartName = 'pareto:qemu-f746';

  await t.test('the Pareto chart has one point per front candidate of the API', async () => {
    await page.click(`a[href="#/jobs/${jobId}"]`);
    await page.waitForFunction((n) => window.__mcutuneCharts?.[n], chartName, { timeout: 15000 });
    const series = await charts(chartName, `return chart.getOption().series.map((s) =>
      ({ name: s.name, type: s.type, keys: (s.data || []).map((d) => d.name) }));`);
    const frontSeries = series.find((s) => s.name === 'Pareto front');
    assert.deepEqual([...frontSeries.keys].sort(), front.candidates.map((c) => c.key).sort());
    const measuredPoints = series.filter((s) => s.type === 'scatter' && !s.name.startsWith('Predicted'))
      .flatMap((s) => s.keys);
    assert.deepEqual(measuredPoints.sort(), measured.map((c) => c.key).sort());
    const budget = await charts(chartName, `return chart.getOption().series
      .find((s) => s.name === 'Pareto front').markLine.data[0].yAxis;`);
    const boards = await api('/api/v1/boards');
    assert.equal(budget, Number(boards.boards.find((b) => b.kind === 'qemu-f746').sramBytes));
    assert.match(await page.textContent('[data-testid="front-count-qemu-f746"]'),
      new RegExp(`^${front.candidates.length} on the front · ${measured.length} measured`));
    await shot('job');
  });

  const target = front.candidates[0];
  await t.test('a click on a front point opens its candidate', async () => {
    const [x, y] = await charts(chartName, `return chart.convertToPixel({ seriesName: 'Pareto front' },
      [${target.measured.latency}, ${Number(target.metrics.peakSramBytes)}]);`);
    const box = await page.locator('.chart-pareto').first().boundingBox();
    await page.mouse.move(box.x + x, box.y + y);
    await page.mouse.click(box.x + x, box.y + y);
    await page.waitForFunction((k) => decodeURIComponent(location.hash).endsWith(`/candidates/${k}`),
      target.key, { timeout: 10000 });
    await page.waitForSelector('h1', { timeout: 10000 });
    assert.ok((await page.textContent('h1')).includes(target.candidateId));
  });

  await t.test('the memory chart marks the plan peak', async () => {
    await page.waitForFunction(() => window.__mcutuneCharts?.memory, null, { timeout: 20000 });
    const peak = Number(target.metrics.peakSramBytes);
    const mark = await charts('memory', `const s = chart.getOption().series;
      return { line: s[0].markLine.data[0].yAxis, label: s[0].markLine.label.formatter,
               totals: s[0].data.map((_, i) => s.reduce((a, x) => a + (x.data[i] || 0), 0)) };`);
    assert.equal(mark.line, peak);
    assert.ok(mark.label.replace(/,/g, '').includes(String(peak)), mark.label);
    assert.ok(mark.totals.length > 0 && Math.max(...mark.totals) <= peak, 'no step above the planned peak');
    assert.equal((await page.textContent('[data-testid=memory-peak]')).replace(/\D/g, ''), String(peak));
    await page.waitForSelector('[data-testid=measurements-table] tbody tr', { timeout: 10000 });
    await shot('candidate');
  });

  await t.test('the bundle download is the API archive with the sources', async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), page.click('#download-bundle')]);
    const file = path.join(dir, 'bundle.tar');
    await download.saveAs(file);
    const bytes = fs.readFileSync(file);
    const direct = Buffer.from(await (await apiRaw(`/api/v1/jobs/${jobId}/build?candidate=${encodeURIComponent(target.key)}`)).arrayBuffer());
    assert.ok(bytes.equals(direct), 'same bytes as GET /build');
    const names = tarNames(bytes);
    for (const f of ['Makefile', 'report.json', 'firmware.elf', 'README.md']) {
      assert.ok(names.some((n) => n.endsWith(`/${f}`)), `${f} in ${names.join(' ')}`);
    }
    assert.ok(names.some((n) => n.endsWith('.c')) && names.some((n) => n.endsWith('.h')), 'C sources');
    assert.ok(!names.some((n) => n.includes('/obj/')), 'no intermediates');
    const [elf] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), page.click('#download-elf')]);
    const elfFile = path.join(dir, 'firmware.elf');
    await elf.saveAs(elfFile);
    assert.deepEqual([...fs.readFileSync(elfFile).subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
  });

  await t.test('uploading a bad file shows the daemon error', async () => {
    const bad = Buffer.from('this is not a TFLite flatbuffer, just text\n'.repeat(8));
    const direct = await (await apiRaw('/api/v1/models?name=bad-upload', { method: 'POST', body: bad })).json();
    assert.ok(direct.error?.message, 'the daemon refuses it');
    await page.click('a[data-nav=models]');
    await page.waitForSelector('#model-file');
    await page.setInputFiles('#model-file', { name: 'bad.tflite', mimeType: 'application/octet-stream', buffer: bad });
    await page.fill('#model-name', 'bad-upload');
    await page.click('#model-upload');
    const box = page.locator('[data-testid=upload-status] .error-box');
    await box.waitFor({ timeout: 15000 });
    const text = await box.innerText();
    assert.ok(text.includes(direct.error.message), text);
    assert.ok(text.includes(direct.error.code), text);
    await shot('models');
    await page.click('[data-testid=models-table] a');
    await page.waitForFunction(() => window.__mcutuneCharts?.['model-memory'], null, { timeout: 10000 });
    await shot('model');
  });

  await t.test('drain and re-enable a board', async () => {
    const uri = 'qemu://qemu-f746/0';
    await page.click('a[data-nav=boards]');
    const row = page.locator('[data-testid=fleet-table] tr', { hasText: uri });
    await row.waitFor({ timeout: 15000 });
    await row.locator('button[data-action=drain]').click();
    await row.locator('button[data-action=enable]').waitFor({ timeout: 10000 });
    const drained = (await api('/api/v1/farm')).boards.find((b) => b.uri === uri);
    assert.ok(['draining', 'drained'].includes(drained.farm_state), drained.farm_state);
    await shot('boards');
    await row.locator('button[data-action=enable]').click();
    await row.locator('button[data-action=drain]').waitFor({ timeout: 10000 });
    assert.equal((await api('/api/v1/farm')).boards.find((b) => b.uri === uri).farm_state, 'active');
  });

  await t.test('the sweeps page says sweeps are not configured', async () => {
    await page.click('a[data-nav=sweeps]');
    await page.waitForSelector('.empty-title', { timeout: 10000 });
    assert.match(await page.textContent('.empty-title'), /not configured/);
    await shot('sweeps');
  });

  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
  console.log(`screenshots in ${SHOTS}`);
});

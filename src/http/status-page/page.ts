// The /status page's script. The browser runs it as the page's one inline <script>: scripts/build.mjs checks it
// against tsconfig.json beside it (DOM types, no Node), compiles it, and inlines the output into
// ../status-page.ts with its SHA-256 hash in the page's Content-Security-Policy.
//
// Every value from status.json is untrusted (operation names, user IDs, log lines, alert labels): it reaches
// the DOM through textContent, className, dataset or setAttribute only, never as markup, and a link is made
// only from an http(s) URL.
import type { AlertRow, StatusDocument } from '../status-types.js';

type SeriesPoint = StatusDocument['series'][number];

/** sessionStorage key of the admin token the user typed (gone when the tab closes). */
const TOKEN_KEY = 'llmkg-admin-token';
const jsonUrl = location.pathname.replace(/\/+$/, '') + '.json';
const refreshMs = Math.max(1000, Number(new URLSearchParams(location.search).get('refresh')) || 3000);
let timer: ReturnType<typeof setTimeout> | undefined;

/** The page's element with this id; the HTML in ../status-page.ts has every one the script asks for. */
function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string | null, text?: string | number | null): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

/** A coloured label; the class keeps only letters and underscores of the value, so it cannot add classes. */
function badge(value: string): HTMLSpanElement {
  return el('span', `badge ${value.replace(/[^a-z_]/gi, '')}`, value);
}

function cell(row: HTMLTableRowElement, content: Node | string | number | null | undefined, cls?: string): HTMLTableCellElement {
  const td = el('td', cls);
  if (content instanceof Node) td.appendChild(content);
  else td.textContent = content === null || content === undefined ? '' : String(content);
  row.appendChild(td);
  return td;
}

/** Replaces the rows of table body `id`, or shows `empty` across `cols` columns. */
function fill(id: string, rows: HTMLTableRowElement[], empty: string, cols: number): void {
  const body = byId<HTMLTableSectionElement>(id);
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = el('tr');
    cell(tr, empty, 'muted').colSpan = cols;
    body.appendChild(tr);
  }
  for (const row of rows) body.appendChild(row);
}

/** The URL when it is http(s), else null: a `javascript:` link from a template must not become clickable. */
function safeHref(url: string | null): string | null {
  return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null;
}

function chart(
  id: string,
  points: SeriesPoint[],
  key: 'requestsPerSecond' | 'errorRate' | 'refusalRate' | 'p99Ms',
  format: (v: number) => string,
): void {
  drawChart(
    byId(id),
    points,
    points.map((p) => p[key] ?? 0),
    format,
  );
}

/** The two headline figures: errors and refusals of the last minute, each a share and a count. */
function renderHeadline(h: StatusDocument['headline']): void {
  for (const [id, rate, count, what] of [
    ['headline-errors', h.errorRate, h.errors, 'failed'],
    ['headline-refusals', h.refusalRate, h.refusals, 'refused'],
  ] as const) {
    const box = byId(id);
    const value = box.querySelector('.value');
    const detail = box.querySelector('.count');
    if (value === null || detail === null) throw new Error(`figure #${id} has no value`);
    const collecting = h.windowSeconds === 0 && h.calls === 0;
    value.textContent = collecting ? COLLECTING : pct(rate);
    detail.textContent = collecting ? '' : `${count} of ${h.calls} calls ${what} in the last ${h.windowSeconds} s`;
  }
}

/** A log entry's metadata as key/value pairs. */
function fields(pairs: StatusDocument['logs']['entries'][number]['fields']): HTMLElement {
  const list = el('dl', 'kv');
  for (const { key, value } of pairs) {
    list.appendChild(el('dt', null, key));
    list.appendChild(el('dd', null, value));
  }
  return list;
}

function shutdownText(p: StatusDocument['shutdown']['progress']): string {
  return (
    `Shutting down: phase ${p.phase}${p.reason ? ` (${p.reason})` : ''}, ${dur(p.elapsedMs)} elapsed, ` +
    `${p.activeRequests} requests in flight, ${p.drainedRequests} drained, ` +
    `handlers ${p.handlersRun}/${p.handlersRegistered}${p.forced ? ' · FORCED' : ''}`
  );
}

function alertRow(a: AlertRow): HTMLTableRowElement {
  const r = el('tr');
  r.dataset.alert = a.name;
  cell(r, a.name);
  cell(r, badge(a.state));
  cell(r, badge(a.severity));
  cell(r, time(a.since) + (a.resolvedAt ? ` → ${time(a.resolvedAt)}` : ''));
  cell(r, String(Math.round(a.value * 1000) / 1000), 'num');
  const summary = a.annotations.summary ?? '';
  const description = a.annotations.description ? ` — ${a.annotations.description}` : '';
  cell(r, `${summary}${description} [${kv(a.labels)}]`, 'wrap');
  return r;
}

function resourceRow(x: StatusDocument['resources']['rows'][number]): HTMLTableRowElement {
  const r = el('tr');
  const f =
    x.resource === 'memory' ? bytes : (v: number) => `${Math.round(v * 100) / 100}${x.unit && x.unit !== 'bytes' ? ` ${x.unit}` : ''}`;
  cell(r, x.resource);
  cell(r, f(x.current), 'num');
  cell(r, f(x.peak), 'num');
  cell(r, x.limit === null ? 'none' : f(x.limit), 'num');
  const bar = el('div', 'bar');
  const inner = el('div');
  inner.style.width = x.limit ? `${Math.min(100, (100 * x.current) / x.limit)}%` : '0';
  if (x.limit && x.current > x.limit * 0.9) inner.style.background = 'var(--bad)';
  bar.appendChild(inner);
  cell(r, bar);
  return r;
}

function renderOverload(o: StatusDocument['overload']): void {
  byId('overload-section').hidden = o === null;
  if (o === null) return;
  const c = o.shedByClass;
  const signals =
    o.signals === null
      ? 'signal shedding off'
      : `signals: ELU ${pct(o.signals.eventLoopUtilization)}, loop delay p99 ${ms(o.signals.eventLoopDelayP99Ms)}, heap ${pct(o.signals.heapUsedRatio)}, shedding ${o.signals.shedding}`;
  byId('overload-state').textContent =
    `default class ${o.defaultCriticality} · shed: sheddable ${c.sheddable}, sheddable_plus ${c.sheddablePlus}, critical ${c.critical}, critical_plus ${c.criticalPlus} · ${signals}`;
  const q = o.queueDelay;
  byId('overload-queue-delay').textContent =
    q === null
      ? 'queue-delay control off'
      : `queue delay ${ms(q.queueDelayMs)} (target ${ms(q.targetMs)}) · refusing ${pct(q.refusal)} now: sheddable ${pct(q.refusalByClass.sheddable)}, sheddable_plus ${pct(q.refusalByClass.sheddablePlus)}, critical ${pct(q.refusalByClass.critical)}, critical_plus ${pct(q.refusalByClass.criticalPlus)} · refused so far: ${q.shed.sheddable} / ${q.shed.sheddablePlus} / ${q.shed.critical} / ${q.shed.criticalPlus}`;
  const limits = o.limits.map((l) => {
    const r = el('tr');
    cell(r, l.operation, 'wrap');
    cell(r, l.algorithm);
    cell(r, l.limit, 'num');
    cell(r, `${l.minLimit}–${l.maxLimit}`, 'num');
    cell(r, l.inFlight, 'num');
    cell(r, l.waiting, 'num');
    cell(r, ms(l.rttMs), 'num');
    cell(r, `${l.shed.sheddable} / ${l.shed.sheddablePlus} / ${l.shed.critical} / ${l.shed.criticalPlus}`, 'num');
    return r;
  });
  fill('overload-limits', limits, 'no adaptive limits', 8);
  const throttles = o.throttles.map((t) => {
    const r = el('tr');
    cell(r, t.dependency, 'wrap');
    cell(r, pct(t.probability), 'num');
    cell(r, t.requests, 'num');
    cell(r, t.accepts, 'num');
    cell(r, t.throttled, 'num');
    return r;
  });
  fill('overload-throttles', throttles, 'no throttled dependencies', 5);
}

function render(d: StatusDocument): void {
  byId('overall').replaceChildren(badge(d.health.status));
  const ready = badge(d.health.ready ? 'ready' : 'not ready');
  ready.className = `badge ${d.health.ready ? 'healthy' : 'critical'}`;
  byId('ready').replaceChildren(ready);
  const inFlight = d.process.activeOperations !== null ? ` · ${d.process.activeOperations} in flight` : '';
  const cf = d.configFile;
  const config =
    cf === null
      ? ''
      : ` · config ${cf.path} (sha256 ${cf.hash.slice(0, 12)}, applied ${time(cf.appliedAt)}, ${cf.reloads.applied} reloads, ${cf.reloads.rejected} rejected)${cf.lastRejection === null ? '' : `; last rejected: ${cf.lastRejection.message}`}`;
  byId('generated').textContent =
    `updated ${time(d.generatedAt)} · pid ${d.process.pid} · up ${dur(d.process.uptimeSeconds * 1000)}${inFlight}${config}`;
  const sd = byId('shutdown');
  sd.hidden = !d.shutdown.inProgress;
  if (d.shutdown.inProgress) sd.textContent = shutdownText(d.shutdown.progress);

  renderHeadline(d.headline);
  chart('chart-rate', d.series, 'requestsPerSecond', (v) => `${v.toFixed(2)}/s`);
  chart('chart-errors', d.series, 'errorRate', pct);
  chart('chart-refusals', d.series, 'refusalRate', pct);
  chart('chart-p99', d.series, 'p99Ms', ms);

  const components = d.health.components.map((c) => {
    const r = el('tr');
    cell(r, c.name);
    cell(r, badge(c.status));
    cell(r, c.essential ? 'yes' : 'no');
    cell(r, time(c.lastCheck) + (c.stale ? ' (stale)' : ''));
    cell(r, ms(c.avgResponseTimeMs), 'num');
    cell(r, c.lastError ?? '', 'wrap');
    return r;
  });
  fill('components', components, 'no components', 6);

  const operations = d.operations.map((o) => {
    const r = el('tr');
    r.dataset.operation = o.name;
    cell(r, o.name, 'wrap');
    cell(r, o.calls, 'num');
    cell(r, pct(o.errorRate), 'num');
    cell(r, ms(o.p50LatencyMs), 'num');
    cell(r, ms(o.p99LatencyMs), 'num');
    cell(r, o.retries, 'num');
    cell(r, o.rejections, 'num');
    const b = o.breaker;
    const state = cell(r, b ? badge(b.state) : el('span', 'muted', 'none'));
    const shared = b?.shared;
    if (shared) {
      const lease = shared.leaseHolder === null ? '' : ` · trial: ${shared.holdsLease ? 'this replica' : shared.leaseHolder}`;
      const text = shared.mode === 'local' ? ' local (store away)' : ` shared · ${shared.replicas} replicas${lease}`;
      state.appendChild(el('span', 'muted', text));
    }
    cell(r, b ? dur(b.timeInStateMs) : '');
    return r;
  });
  fill('operations', operations, 'no operations yet', 9);
  const budgets = d.retryBudgets.map((b) => {
    const r = el('tr');
    cell(r, b.owner === 'operation' ? `${b.dependency} (operation)` : b.dependency, 'wrap');
    cell(r, Math.floor(b.balance), 'num');
    cell(r, b.calls, 'num');
    cell(r, b.retries, 'num');
    cell(r, b.exhausted, 'num');
    cell(r, b.ratio, 'num');
    cell(r, dur(b.ttlMs), 'num');
    cell(r, b.minRetriesPerSecond, 'num');
    return r;
  });
  fill('retry-budgets', budgets, 'no retry budgets configured', 8);
  fill('alerts-active', d.alerts.active.map(alertRow), 'no active alerts', 6);
  fill('alerts-resolved', d.alerts.resolved.map(alertRow), 'none resolved recently', 6);

  const limits = d.rateLimiting;
  const scopes = limits.scopes.map((s) => {
    const r = el('tr');
    cell(r, s.scope);
    cell(r, s.allowed, 'num');
    cell(r, s.rejected, 'num');
    return r;
  });
  fill('scopes', scopes, '', 3);
  byId('limits-state').textContent =
    `${limits.enabled ? 'enabled' : 'disabled'} · store ${limits.store} · ${limits.trackedUsers} users tracked`;
  const users = limits.topRejectedUsers.map((u) => {
    const r = el('tr');
    cell(r, u.userId, 'wrap');
    cell(r, `${u.rejections}${u.error ? ` (±${u.error})` : ''}`, 'num');
    return r;
  });
  fill('top-users', users, 'no refusals', 2);
  fill('resources', d.resources.rows.map(resourceRow), '', 5);
  renderOverload(d.overload);

  const logs = d.logs.entries.map((e) => {
    const r = el('tr');
    cell(r, time(e.timestamp));
    cell(r, badge(e.level));
    cell(r, `${e.component} / ${e.operation}`, 'wrap');
    cell(r, e.message, 'wrap');
    cell(r, e.correlationId ?? '').className = 'correlation';
    cell(r, fields(e.fields), 'wrap details');
    return r;
  });
  fill('logs', logs, 'no log entries match', 6);

  byId('traces-note').textContent = d.traces.attached
    ? ''
    : 'No span processor attached: add productionSpanProcessors() from @llmkg/production/sdk to your SDK.';
  const traces = d.traces.recent.map((t) => {
    const r = el('tr');
    cell(r, time(t.endedAt));
    cell(r, t.operation, 'wrap');
    cell(r, ms(t.durationMs), 'num');
    cell(r, badge(t.outcome));
    const href = safeHref(t.url);
    if (href) {
      const a = el('a', null, t.traceId);
      a.href = href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      cell(r, a);
    } else {
      cell(r, t.traceId);
    }
    cell(r, t.correlationId ?? '');
    return r;
  });
  fill('traces', traces, 'no traces yet', 6);
  byId('monitoring').textContent = d.monitoring.problems.length ? `monitoring: ${d.monitoring.problems.join('; ')}` : '';
}

function query(): string {
  const q = new URLSearchParams({ logs: '50', traces: '20' });
  const level = byId<HTMLSelectElement>('level').value;
  const correlationId = byId<HTMLInputElement>('cid').value.trim();
  if (level) q.set('level', level);
  if (correlationId) q.set('correlationId', correlationId);
  return `?${q.toString()}`;
}

/** Fetches status.json once and renders it; on 401 shows the token form. Never rejects. */
async function load(): Promise<void> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    const res = await fetch(jsonUrl + query(), { headers, cache: 'no-store', credentials: 'same-origin' });
    if (res.status === 401) {
      byId('auth').hidden = false;
      byId('error').textContent = token ? 'The token was refused.' : 'This status page needs the admin token.';
      if (token) sessionStorage.removeItem(TOKEN_KEY);
    } else {
      if (!res.ok) throw new Error(`status.json answered ${res.status}`);
      const doc = (await res.json()) as StatusDocument;
      byId('auth').hidden = true;
      byId('error').textContent = '';
      render(doc);
      document.body.dataset.loaded = 'true';
    }
  } catch (error) {
    byId('error').textContent = `Refresh failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  timer = setTimeout(refresh, refreshMs);
}

/** Loads now, dropping the scheduled refresh (the next is scheduled once this load ends). */
function refresh(): void {
  clearTimeout(timer);
  void load();
}

byId('auth').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = byId<HTMLInputElement>('token');
  const value = input.value.trim();
  if (value) {
    sessionStorage.setItem(TOKEN_KEY, value);
    input.value = '';
  }
  refresh();
});
byId('filters').addEventListener('submit', (ev) => {
  ev.preventDefault();
  refresh();
});
byId('level').addEventListener('change', refresh);
refresh();

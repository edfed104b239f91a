import { createHash } from 'node:crypto';

// The page is one HTML string with its CSS and script inline: no CDN, nothing fetched but status.json. Every
// value reaches the DOM through textContent or setAttribute, never as markup, and the CSP pins the two inline
// blocks by hash, so injected markup could not run even if it slipped through.

const STYLE = `
:root{--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--mute:#57606a;--line:#d0d7de;--bg:#f6f8fa;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:14px;color:#1f2328}
body{margin:0;background:#fff}header{display:flex;gap:16px;align-items:center;padding:10px 16px;background:var(--bg);border-bottom:1px solid var(--line);flex-wrap:wrap}
h1{font-size:18px;margin:0}h2{font-size:15px;margin:18px 0 6px}main{padding:0 16px 24px}
table{border-collapse:collapse;width:100%;margin:4px 0}th,td{text-align:left;padding:3px 8px;border-bottom:1px solid var(--line);vertical-align:top;white-space:nowrap}
td.wrap{white-space:normal;word-break:break-word}th{background:var(--bg);font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;background:var(--mute)}
.healthy,.closed,.success,.pass,.info{background:var(--ok)}.warning,.half_open,.pending,.warn,.degraded{background:var(--warn)}
.critical,.open,.error,.firing,.fail,.rejected{background:var(--bad)}.unknown,.resolved,.debug,.trace{background:var(--mute)}
.muted{color:var(--mute)}.charts{display:flex;gap:16px;flex-wrap:wrap}.chart{border:1px solid var(--line);border-radius:6px;padding:6px 8px}
.chart svg{display:block}.bar{height:8px;background:var(--line);border-radius:4px;width:120px}td.details{min-width:360px;max-width:560px}.bar>div{height:8px;border-radius:4px;background:var(--ok)}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:0 24px}#error{color:var(--bad)}
form{display:inline-flex;gap:6px;align-items:center}input,select,button{font:inherit}#shutdown{border:2px solid var(--bad);padding:6px 10px;border-radius:6px}
[hidden]{display:none!important}.headline{display:flex;gap:16px;flex-wrap:wrap;margin:4px 0 10px}.figure{border:1px solid var(--line);border-radius:6px;padding:6px 10px;max-width:420px}
.figure .value{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}.figure .def,.chart .def{font-size:12px;color:var(--mute);margin:2px 0 0;max-width:400px;white-space:normal}
.chart text{font-size:10px;fill:var(--mute)}.chart .axis{stroke:var(--mute);stroke-width:1}.chart .grid{stroke:var(--line);stroke-width:1}
dl.kv{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:0 8px;margin:0}dl.kv dt{font-weight:600;color:var(--mute)}dl.kv dd{margin:0;word-break:break-word}
`;

// The script is its own source file, ./status-page/page.ts, checked against DOM types. scripts/build.mjs
// compiles it and puts it, and its CSP hash source, in place of these two literals in what tsc emits
// (vitest.config.mts does the same for tests that run the sources), so the page holds one inline script.
const SCRIPT: string = '__STATUS_PAGE_SCRIPT__';
const SCRIPT_HASH: string = '__STATUS_PAGE_SCRIPT_HASH__';

function hash(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

/** Content-Security-Policy of the page: only its own inline style and script (by hash) and same-origin fetches. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${SCRIPT_HASH}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const th = (names: string[]): string => `<tr>${names.map((n) => `<th>${n}</th>`).join('')}</tr>`;
const table = (id: string, head: string[]): string => `<table><thead>${th(head)}</thead><tbody id="${id}"></tbody></table>`;
const chart = (id: string, title: string, definition: string): string =>
  `<div class="chart" id="${id}"><div>${title}: <b class="value">collecting…</b></div><svg width="300" height="110" viewBox="0 0 300 110" role="img" aria-label="${title}"></svg><p class="def">${definition}</p></div>`;
const figure = (id: string, title: string, definition: string): string =>
  `<div class="figure" id="${id}"><div>${title}</div><div class="value">collecting…</div><div class="muted count"></div><p class="def">${definition}</p></div>`;

// One definition each, the same as docs/status-page.md and the StatusHeadline type.
const ERRORS_DEFINITION =
  'Calls that ran and failed (the operation threw or timed out, after its retries), as a share of the protected calls that finished.';
const REFUSALS_DEFINITION =
  'Calls refused without running (rate limit, open breaker, full bulkhead, resources, overload, shutdown, expired deadline), as a share of the protected calls that finished.';

/** The `/status` page: self-contained HTML that refreshes itself from `status.json` next to it. */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Production status</title><style>${STYLE}</style></head>
<body>
<header><h1>Production status</h1><span id="overall"></span><span id="ready"></span><span id="generated" class="muted">loading…</span>
<form id="auth" hidden><label for="token">Admin token</label><input id="token" type="password" autocomplete="off"><button type="submit">Use token</button></form>
<span id="error" role="alert"></span></header>
<main>
<p id="shutdown" hidden></p>
<h2>Last minute</h2><div class="headline">${figure('headline-errors', 'Errors', ERRORS_DEFINITION)}${figure('headline-refusals', 'Refused', REFUSALS_DEFINITION)}</div>
<h2>Last minutes</h2><div class="charts">${chart('chart-rate', 'Request rate', 'Protected calls finished per second.')}${chart('chart-errors', 'Errors', 'Share of finished calls that failed.')}${chart('chart-refusals', 'Refused', 'Share of finished calls that were refused.')}${chart('chart-p99', 'p99 latency', '99th percentile of call duration.')}</div>
<h2>Operations</h2>${table('operations', ['Operation', 'Calls', 'Error rate', 'p50', 'p99', 'Retries', 'Refused', 'Breaker', 'In state'])}
<h2>Retry budgets</h2>${table('retry-budgets', ['Dependency', 'Balance', 'Calls', 'Retries', 'Refused', 'Ratio', 'Window', 'Min / s'])}
<h2>Alerts</h2>${table('alerts-active', ['Alert', 'State', 'Severity', 'Since', 'Value', 'Details'])}
<h2>Recently resolved</h2>${table('alerts-resolved', ['Alert', 'State', 'Severity', 'Active', 'Value', 'Details'])}
<div class="grid"><div><h2>Health</h2>${table('components', ['Component', 'Status', 'Essential', 'Last check', 'Mean time', 'Last error'])}</div>
<div><h2>Resources</h2>${table('resources', ['Resource', 'Now', 'Peak', 'Limit', 'Use'])}</div>
<div><h2>Rate limits</h2><p id="limits-state" class="muted"></p>${table('scopes', ['Scope', 'Allowed', 'Rejected'])}</div>
<div><h2>Busiest users by refusals</h2>${table('top-users', ['User', 'Refusals'])}</div></div>
<section id="overload-section" hidden><h2>Overload</h2><p id="overload-state" class="muted"></p><p id="overload-queue-delay" class="muted"></p>${table('overload-limits', ['Limit', 'Algorithm', 'Limit now', 'Bounds', 'In flight', 'Waiting', 'RTT', 'Shed (sheddable / + / critical / +)'])}
${table('overload-throttles', ['Dependency', 'Refusal probability', 'Requests', 'Accepted', 'Throttled'])}</section>
<h2>Recent logs</h2><form id="filters"><label for="level">Level ≥</label><select id="level"><option value="">any</option><option>debug</option><option>info</option><option>warn</option><option>error</option><option>critical</option></select>
<label for="cid">Correlation ID</label><input id="cid" size="36"><button type="submit">Filter</button></form>
${table('logs', ['Time', 'Level', 'Where', 'Message', 'Correlation ID', 'Details'])}
<h2>Recent traces</h2><p id="traces-note" class="muted"></p>${table('traces', ['Ended', 'Operation', 'Duration', 'Outcome', 'Trace ID', 'Correlation ID'])}
<p id="monitoring" class="muted"></p>
</main>
<script>${SCRIPT}</script>
</body></html>
`;

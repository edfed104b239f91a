import { createHash } from 'node:crypto';

// The page is one HTML string with its CSS and script inline: no build step, no CDN, nothing fetched but
// status.json. Every value reaches the DOM through textContent or setAttribute, never as markup, and the
// CSP pins the two inline blocks by hash, so injected markup could not run even if it slipped through.

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
.chart svg{display:block}.bar{height:8px;background:var(--line);border-radius:4px;width:120px}td.details{max-width:480px}.bar>div{height:8px;border-radius:4px;background:var(--ok)}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:0 24px}#error{color:var(--bad)}
form{display:inline-flex;gap:6px;align-items:center}input,select,button{font:inherit}#shutdown{border:2px solid var(--bad);padding:6px 10px;border-radius:6px}
[hidden]{display:none!important}
`;

const SCRIPT = `
(function(){
'use strict';
var TOKEN_KEY='llmkg-admin-token';
var jsonUrl=location.pathname.replace(/\\/+$/,'')+'.json';
var refreshMs=Math.max(1000,Number(new URLSearchParams(location.search).get('refresh'))||3000);
var timer=null;
function $(id){return document.getElementById(id);}
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!==undefined&&text!==null)e.textContent=String(text);return e;}
function badge(value){return el('span','badge '+String(value).replace(/[^a-z_]/gi,''),value);}
function cell(row,content,cls){var td=el('td',cls);if(content instanceof Node)td.appendChild(content);else td.textContent=content===null||content===undefined?'':String(content);row.appendChild(td);return td;}
function fill(id,rows,empty,cols){var body=$(id);body.replaceChildren();if(rows.length===0){var tr=el('tr');var td=cell(tr,empty,'muted');td.colSpan=cols;body.appendChild(tr);}rows.forEach(function(r){body.appendChild(r);});}
function ms(v){if(v===null||v===undefined)return '';return v<10?v.toFixed(2)+' ms':v<1000?v.toFixed(0)+' ms':(v/1000).toFixed(2)+' s';}
function pct(v){return (v*100).toFixed(1)+'%';}
function dur(msv){var s=Math.floor(msv/1000);if(s<60)return s+'s';var m=Math.floor(s/60);if(m<60)return m+'m '+(s%60)+'s';var h=Math.floor(m/60);return h+'h '+(m%60)+'m';}
function time(iso){if(!iso)return '';var d=new Date(iso);return isNaN(d)?iso:d.toLocaleTimeString();}
function bytes(v){if(v>=1073741824)return (v/1073741824).toFixed(2)+' GiB';if(v>=1048576)return (v/1048576).toFixed(1)+' MiB';return Math.round(v/1024)+' KiB';}
function kv(record){return Object.keys(record).map(function(k){return k+'='+record[k];}).join(', ');}
function safeHref(url){return typeof url==='string'&&/^https?:\\/\\//i.test(url)?url:null;}

function chart(id,points,key,format){
  var box=$(id);var svg=box.querySelector('svg');var NS='http://www.w3.org/2000/svg';
  svg.replaceChildren();var w=300,h=60;var vals=points.map(function(p){return p[key]===null?0:p[key];});
  var top=Math.max.apply(null,vals.concat([0]));var max=top||1;
  if(vals.length>1){var line=document.createElementNS(NS,'polyline');
    line.setAttribute('points',vals.map(function(v,i){return (i*w/(vals.length-1)).toFixed(1)+','+(h-2-(v/max)*(h-4)).toFixed(1);}).join(' '));
    line.setAttribute('fill','none');line.setAttribute('stroke','#0969da');line.setAttribute('stroke-width','1.5');svg.appendChild(line);}
  var last=vals.length?vals[vals.length-1]:null;
  box.querySelector('.value').textContent=last===null?'no data yet':format(last)+' (max '+format(top)+')';
}

function render(d){
  $('overall').replaceChildren(badge(d.health.status));
  $('ready').replaceChildren(badge(d.health.ready?'ready':'not ready'));$('ready').firstChild.className='badge '+(d.health.ready?'healthy':'critical');
  $('generated').textContent='updated '+time(d.generatedAt)+' · pid '+d.process.pid+' · up '+dur(d.process.uptimeSeconds*1000)+(d.process.activeOperations!==null?' · '+d.process.activeOperations+' in flight':'');
  var sd=$('shutdown');sd.hidden=!d.shutdown.inProgress;
  if(d.shutdown.inProgress){var p=d.shutdown.progress;sd.textContent='Shutting down: phase '+p.phase+(p.reason?' ('+p.reason+')':'')+', '+dur(Number(p.elapsed_ms)||0)+' elapsed, '+p.active_requests+' requests in flight, '+p.drained_requests+' drained, handlers '+p.handlers_run+'/'+p.handlers_registered+(p.forced?' · FORCED':'');}
  chart('chart-rate',d.series,'requestsPerSecond',function(v){return v.toFixed(2)+'/s';});
  chart('chart-errors',d.series,'errorRate',pct);
  chart('chart-p99',d.series,'p99Ms',ms);
  fill('components',d.health.components.map(function(c){var r=el('tr');cell(r,c.name);cell(r,badge(c.status));cell(r,c.essential?'yes':'no');
    cell(r,time(c.lastCheck)+(c.stale?' (stale)':''));cell(r,ms(c.avgResponseTimeMs),'num');cell(r,c.lastError||'','wrap');return r;}),'no components',6);
  fill('operations',d.operations.map(function(o){var r=el('tr');r.dataset.operation=o.name;cell(r,o.name,'wrap');cell(r,o.calls,'num');cell(r,pct(o.errorRate),'num');
    cell(r,ms(o.p50Ms),'num');cell(r,ms(o.p99Ms),'num');cell(r,o.retries,'num');cell(r,o.rejections,'num');
    var b=o.breaker;cell(r,b?badge(b.state):el('span','muted','none'));cell(r,b?dur(b.timeInStateMs):'');return r;}),'no operations yet',9);
  fill('alerts-active',d.alerts.active.map(alertRow),'no active alerts',6);
  fill('alerts-resolved',d.alerts.resolved.map(alertRow),'none resolved recently',6);
  fill('scopes',d.rateLimiting.scopes.map(function(s){var r=el('tr');cell(r,s.scope);cell(r,s.allowed,'num');cell(r,s.rejected,'num');return r;}),'',3);
  $('limits-state').textContent=(d.rateLimiting.enabled?'enabled':'disabled')+' · store '+d.rateLimiting.store+' · '+d.rateLimiting.trackedUsers+' users tracked';
  fill('top-users',d.rateLimiting.topRejectedUsers.map(function(u){var r=el('tr');cell(r,u.userId,'wrap');cell(r,u.rejections+(u.error?' (±'+u.error+')':''),'num');return r;}),'no refusals',2);
  fill('resources',d.resources.rows.map(function(x){var r=el('tr');var f=x.resource==='memory'?bytes:function(v){return (Math.round(v*100)/100)+(x.unit&&x.unit!=='bytes'?' '+x.unit:'');};
    cell(r,x.resource);cell(r,f(x.current),'num');cell(r,f(x.peak),'num');cell(r,x.limit===null?'none':f(x.limit),'num');
    var bar=el('div','bar');var inner=el('div');inner.style.width=x.limit?Math.min(100,100*x.current/x.limit)+'%':'0';if(x.limit&&x.current>x.limit*0.9)inner.style.background='var(--bad)';bar.appendChild(inner);cell(r,bar);return r;}),'',5);
  fill('logs',d.logs.entries.map(function(e){var r=el('tr');cell(r,time(e.timestamp));cell(r,badge(e.level));cell(r,e.component+' / '+e.operation,'wrap');
    cell(r,e.message,'wrap');var c=cell(r,e.correlationId||'');c.className='correlation';cell(r,e.details,'wrap muted details');return r;}),'no log entries match',6);
  $('traces-note').textContent=d.traces.attached?'':'No span processor attached: add productionSpanProcessors() from @llmkg/production/sdk to your SDK.';
  fill('traces',d.traces.recent.map(function(t){var r=el('tr');cell(r,time(t.endedAt));cell(r,t.operation,'wrap');cell(r,ms(t.durationMs),'num');cell(r,badge(t.outcome));
    var href=safeHref(t.url);if(href){var a=el('a',null,t.traceId);a.href=href;a.target='_blank';a.rel='noopener noreferrer';cell(r,a);}else cell(r,t.traceId);
    cell(r,t.correlationId||'');return r;}),'no traces yet',6);
  $('monitoring').textContent=d.monitoring.problems.length?'monitoring: '+d.monitoring.problems.join('; '):'';
}
function alertRow(a){var r=el('tr');r.dataset.alert=a.name;cell(r,a.name);cell(r,badge(a.state));cell(r,badge(a.severity));
  cell(r,time(a.since)+(a.resolvedAt?' → '+time(a.resolvedAt):''));cell(r,String(Math.round(a.value*1000)/1000),'num');
  cell(r,(a.annotations.summary||'')+(a.annotations.description?' — '+a.annotations.description:'')+' ['+kv(a.labels)+']','wrap');return r;}

function query(){var q=new URLSearchParams({logs:'50',traces:'20'});var lv=$('level').value;var cid=$('cid').value.trim();if(lv)q.set('level',lv);if(cid)q.set('correlationId',cid);return '?'+q.toString();}
function refresh(){
  clearTimeout(timer);var headers={'accept':'application/json'};var token=sessionStorage.getItem(TOKEN_KEY);if(token)headers.authorization='Bearer '+token;
  fetch(jsonUrl+query(),{headers:headers,cache:'no-store',credentials:'same-origin'}).then(function(res){
    if(res.status===401){$('auth').hidden=false;$('error').textContent=token?'The token was refused.':'This status page needs the admin token.';if(token)sessionStorage.removeItem(TOKEN_KEY);return null;}
    if(!res.ok)throw new Error('status.json answered '+res.status);return res.json();
  }).then(function(d){if(d){$('auth').hidden=true;$('error').textContent='';render(d);document.body.dataset.loaded='true';}timer=setTimeout(refresh,refreshMs);})
  .catch(function(err){$('error').textContent='Refresh failed: '+err.message;timer=setTimeout(refresh,refreshMs);});
}
$('auth').addEventListener('submit',function(ev){ev.preventDefault();var v=$('token').value.trim();if(v){sessionStorage.setItem(TOKEN_KEY,v);$('token').value='';}refresh();});
$('filters').addEventListener('submit',function(ev){ev.preventDefault();refresh();});
$('level').addEventListener('change',refresh);
refresh();
})();
`;

function hash(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

/** Content-Security-Policy of the page: only its own inline style and script (by hash) and same-origin fetches. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const th = (names: string[]): string => `<tr>${names.map((n) => `<th>${n}</th>`).join('')}</tr>`;
const table = (id: string, head: string[]): string => `<table><thead>${th(head)}</thead><tbody id="${id}"></tbody></table>`;
const chart = (id: string, title: string): string =>
  `<div class="chart" id="${id}"><div>${title}: <b class="value">…</b></div><svg width="300" height="60" viewBox="0 0 300 60" role="img" aria-label="${title}"></svg></div>`;

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
<h2>Last minutes</h2><div class="charts">${chart('chart-rate', 'Request rate')}${chart('chart-errors', 'Error rate')}${chart('chart-p99', 'p99 latency')}</div>
<h2>Operations</h2>${table('operations', ['Operation', 'Calls', 'Error rate', 'p50', 'p99', 'Retries', 'Refused', 'Breaker', 'In state'])}
<h2>Alerts</h2>${table('alerts-active', ['Alert', 'State', 'Severity', 'Since', 'Value', 'Details'])}
<h2>Recently resolved</h2>${table('alerts-resolved', ['Alert', 'State', 'Severity', 'Active', 'Value', 'Details'])}
<div class="grid"><div><h2>Health</h2>${table('components', ['Component', 'Status', 'Essential', 'Last check', 'Mean time', 'Last error'])}</div>
<div><h2>Resources</h2>${table('resources', ['Resource', 'Now', 'Peak', 'Limit', 'Use'])}</div>
<div><h2>Rate limits</h2><p id="limits-state" class="muted"></p>${table('scopes', ['Scope', 'Allowed', 'Rejected'])}</div>
<div><h2>Busiest users by refusals</h2>${table('top-users', ['User', 'Refusals'])}</div></div>
<h2>Recent logs</h2><form id="filters"><label for="level">Level ≥</label><select id="level"><option value="">any</option><option>debug</option><option>info</option><option>warn</option><option>error</option><option>critical</option></select>
<label for="cid">Correlation ID</label><input id="cid" size="36"><button type="submit">Filter</button></form>
${table('logs', ['Time', 'Level', 'Where', 'Message', 'Correlation ID', 'Details'])}
<h2>Recent traces</h2><p id="traces-note" class="muted"></p>${table('traces', ['Ended', 'Operation', 'Duration', 'Outcome', 'Trace ID', 'Correlation ID'])}
<p id="monitoring" class="muted"></p>
</main>
<script>${SCRIPT}</script>
</body></html>
`;

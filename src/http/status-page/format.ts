// The status page's formatting of figures (durations, shares, times, sizes) for display, part of the page's one
// inline script: scripts/status-page-script.mjs compiles this file, charts.ts and page.ts (in that order) into one
// function scope. A script file, not a module (no import or export), so page.ts sees these names.
/* eslint-disable @typescript-eslint/no-unused-vars -- page.ts calls these: the three files compile into one script */

function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return '';
  return v < 10 ? `${v.toFixed(2)} ms` : v < 1000 ? `${v.toFixed(0)} ms` : `${(v / 1000).toFixed(2)} s`;
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

function dur(msv: number): string {
  const s = Math.floor(msv / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

function time(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString();
}

function bytes(v: number): string {
  if (v >= 1073741824) return `${(v / 1073741824).toFixed(2)} GiB`;
  if (v >= 1048576) return `${(v / 1048576).toFixed(1)} MiB`;
  return `${Math.round(v / 1024)} KiB`;
}

function kv(record: Record<string, string>): string {
  return Object.keys(record)
    .map((k) => `${k}=${record[k]}`)
    .join(', ');
}

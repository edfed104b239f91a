// The status page's charts of the last minutes, part of the page's one inline script: scripts/build.mjs
// compiles this file and page.ts (in that order) into one function scope. A script file, not a module (no
// import or export), so page.ts sees these names; they take elements and numbers, never status.json itself.

const SVG_NS = 'http://www.w3.org/2000/svg';
const CHART_HEIGHT = 110;
/** The plot area inside the 300 x 110 chart: room on the left for the value scale and below for the time scale. */
const PLOT = { left: 46, right: 294, top: 6, bottom: 92 } as const;
/** What a chart and a headline figure say until there is data to show. */
const COLLECTING = 'collecting…';

function svgElement<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const name of Object.keys(attrs)) e.setAttribute(name, String(attrs[name]));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** How long before the newest point `t` is, as the time scale labels it: "now", "-45s", "-5m". */
function timeAgo(t: number, newest: number): string {
  const s = Math.round((newest - t) / 1000);
  if (s <= 0) return 'now';
  return s < 120 ? `-${s}s` : `-${Math.round(s / 60)}m`;
}

/**
 * Draws one chart into `box` (its svg and its `.value` label): the line of `values` (one per point) over a
 * value axis from 0 to the maximum, labelled, and a time axis labelled at the oldest point, the middle and now.
 * Until two points exist there is no line to draw: the chart says it is collecting.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- page.ts calls it: both compile into one script
function drawChart(
  box: HTMLElement,
  points: ReadonlyArray<{ timestamp: number }>,
  values: readonly number[],
  format: (v: number) => string,
): void {
  const area = box.querySelector('svg');
  const label = box.querySelector('.value');
  if (area === null || label === null) throw new Error(`chart #${box.id} has no svg or value`);
  area.replaceChildren();
  const { left, right, top, bottom } = PLOT;
  area.appendChild(svgElement('line', { class: 'axis', x1: left, y1: top, x2: left, y2: bottom }));
  area.appendChild(svgElement('line', { class: 'axis', x1: left, y1: bottom, x2: right, y2: bottom }));
  if (points.length < 2) {
    area.appendChild(
      svgElement('text', { x: (left + right) / 2, y: (top + bottom) / 2, 'text-anchor': 'middle', class: 'collecting' }, COLLECTING),
    );
    label.textContent = COLLECTING;
    return;
  }
  const highest = Math.max(...values, 0);
  const max = highest || 1;
  const first = points[0]!.timestamp;
  const newest = points[points.length - 1]!.timestamp;
  const span = Math.max(1, newest - first);
  const x = (t: number) => left + ((t - first) / span) * (right - left);
  const y = (v: number) => bottom - (v / max) * (bottom - top);
  area.appendChild(svgElement('line', { class: 'grid', x1: left, y1: top, x2: right, y2: top }));
  area.appendChild(svgElement('text', { x: left - 4, y: top + 8, 'text-anchor': 'end', class: 'y-max' }, format(max)));
  area.appendChild(svgElement('text', { x: left - 4, y: bottom, 'text-anchor': 'end', class: 'y-min' }, format(0)));
  const ticks: ReadonlyArray<readonly [number, string]> = [
    [first, 'start'],
    [first + span / 2, 'middle'],
    [newest, 'end'],
  ];
  for (const [t, anchor] of ticks) {
    area.appendChild(svgElement('line', { class: 'axis', x1: x(t), y1: bottom, x2: x(t), y2: bottom + 3 }));
    area.appendChild(svgElement('text', { x: x(t), y: CHART_HEIGHT - 4, 'text-anchor': anchor, class: 'tick' }, timeAgo(t, newest)));
  }
  area.appendChild(
    svgElement('polyline', {
      points: points.map((p, i) => `${x(p.timestamp).toFixed(1)},${y(values[i] ?? 0).toFixed(1)}`).join(' '),
      fill: 'none',
      stroke: '#0969da',
      'stroke-width': 1.5,
    }),
  );
  label.textContent = `${format(values[values.length - 1] ?? 0)} (max ${format(highest)})`;
}

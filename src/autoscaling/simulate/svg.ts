import { formatDuration } from '../../util/duration.js';
import type { SimulationReport } from './run.js';

/**
 * `--svg FILE`: demand, target and eligible prebuilds over time, hand-written SVG (no
 * dependency). Top panel: claim attempts per step, misses in red. Bottom panel: the target each
 * policy decided (a step line) and the eligible prebuilds (time-weighted mean per step); with
 * --compare, policy b is dashed.
 */

const WIDTH = 1000;
const LEFT = 64;
const RIGHT = 24;
const PLOT = WIDTH - LEFT - RIGHT;
const TOP_Y = 56;
const TOP_H = 140;
const BOTTOM_Y = TOP_Y + TOP_H + 40;
const BOTTOM_H = 240;
const DAY = 86_400_000;
const HOUR = 3_600_000;

const COLORS = {
  demand: '#b8c2cc',
  miss: ['#d62728', '#8c564b'],
  target: ['#1f77b4', '#ff7f0e'],
  eligible: ['#2ca02c', '#9467bd'],
  grid: '#e5e7eb',
  text: '#374151',
};

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const fixed = (n: number) => String(Math.round(n * 10) / 10);

const isoMinute = (at: number) => new Date(at).toISOString().slice(0, 16).replace('T', ' ');

const svgOpen = (height: number) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12" fill="${COLORS.text}">`;

/** A round axis maximum and a tick step of 1, 2 or 5 times a power of ten (at least 1). */
function niceScale(max: number): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 1 };
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max([1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 1, 1);
  return { top: Math.ceil(max / step) * step, step };
}

function yAxis(y0: number, height: number, top: number, step: number, label: string): string[] {
  const out: string[] = [];
  for (let value = 0; value <= top + 1e-9; value += step) {
    const y = y0 + height - (value / top) * height;
    out.push(
      `<line x1="${LEFT}" x2="${LEFT + PLOT}" y1="${fixed(y)}" y2="${fixed(y)}" stroke="${COLORS.grid}"/>`,
      `<text x="${LEFT - 6}" y="${fixed(y + 4)}" text-anchor="end">${fixed(value)}</text>`,
    );
  }
  out.push(
    `<text x="14" y="${y0 + height / 2}" transform="rotate(-90 14 ${y0 + height / 2})" text-anchor="middle">${escape(label)}</text>`,
  );
  return out;
}

function xTicks(from: number, to: number): { at: number; label: string }[] {
  const span = to - from;
  const every = span <= 2 * DAY ? 3 * HOUR : span <= 45 * DAY ? DAY : 7 * DAY;
  const ticks: { at: number; label: string }[] = [];
  for (let at = Math.ceil(from / every) * every; at <= to; at += every) {
    const iso = new Date(at).toISOString();
    const weekday = new Date(at).toUTCString().slice(0, 3);
    ticks.push({
      at,
      label: every < DAY ? iso.slice(11, 16) : `${weekday} ${iso.slice(5, 10)}`,
    });
  }
  return ticks;
}

/** The chart of one or two simulations of the same demand. */
export function simulationSvg(reports: readonly SimulationReport[]): string {
  const first = reports[0];
  if (!first) throw new Error('nothing to draw');
  const { from, to, series } = first.result;
  const x = (at: number) => LEFT + ((at - from) / (to - from)) * PLOT;
  const points = series.points;
  const stepWidth = (series.stepMs / (to - from)) * PLOT;

  const demandScale = niceScale(Math.max(...points.map((p) => p.attempts), 1));
  const poolMax = Math.max(
    1,
    ...reports.flatMap((r) => r.result.series.points.flatMap((p) => [p.target, p.eligible])),
  );
  const poolScale = niceScale(poolMax);
  const demandY = (v: number) => TOP_Y + TOP_H - (v / demandScale.top) * TOP_H;
  const bar = (left: number, width: number, top: number, color: string) =>
    `<rect x="${fixed(left)}" y="${fixed(top)}" width="${fixed(width)}" height="${fixed(TOP_Y + TOP_H - top)}" fill="${color}"/>`;
  const poolY = (v: number) => BOTTOM_Y + BOTTOM_H - (v / poolScale.top) * BOTTOM_H;

  const out: string[] = [
    svgOpen(0),
    '',
    `<text x="${LEFT}" y="24" font-size="16" font-weight="bold">${escape(`preset ${first.preset}: demand, target and eligible prebuilds`)}</text>`,
    `<text x="${LEFT}" y="42">${escape(`${isoMinute(from)} to ${isoMinute(to)} UTC, lead time ${formatDuration(first.result.leadTimeMs)}, one bar = ${formatDuration(series.stepMs)}`)}</text>`,
    ...yAxis(TOP_Y, TOP_H, demandScale.top, demandScale.step, 'claim attempts'),
    ...yAxis(BOTTOM_Y, BOTTOM_H, poolScale.top, poolScale.step, 'prebuilds'),
  ];

  // Demand bars; each policy's misses on top of them (with --compare, a left and b right).
  for (const p of points) {
    if (p.attempts === 0) continue;
    const width = Math.max(stepWidth - 0.5, 0.5);
    out.push(bar(x(p.at), width, demandY(p.attempts), COLORS.demand));
  }
  reports.forEach((report, i) => {
    const width = Math.max(stepWidth - 0.5, 0.5) / reports.length;
    for (const p of report.result.series.points) {
      if (p.misses > 0) {
        out.push(bar(x(p.at) + i * width, width, demandY(p.misses), COLORS.miss[i] as string));
      }
    }
  });

  reports.forEach((report, i) => {
    const dash = i === 0 ? '' : ' stroke-dasharray="6 4"';
    const ps = report.result.series.points;
    const target = ps
      .map((p, k) => {
        const y = fixed(poolY(p.target));
        return `${k === 0 ? 'M' : 'L'}${fixed(x(p.at))} ${y} L${fixed(x(p.at) + stepWidth)} ${y}`;
      })
      .join(' ');
    const eligible = ps
      .map(
        (p, k) =>
          `${k === 0 ? 'M' : 'L'}${fixed(x(p.at) + stepWidth / 2)} ${fixed(poolY(p.eligible))}`,
      )
      .join(' ');
    out.push(
      `<path d="${target}" fill="none" stroke="${COLORS.target[i]}" stroke-width="1.5"${dash}/>`,
      `<path d="${eligible}" fill="none" stroke="${COLORS.eligible[i]}" stroke-width="1.5"${dash}/>`,
    );
  });

  for (const tick of xTicks(from, to)) {
    const at = fixed(x(tick.at));
    // Labels near either end are anchored inside the plot so they are not cut off.
    const position = x(tick.at);
    const anchor = position > LEFT + PLOT - 40 ? 'end' : position < LEFT + 40 ? 'start' : 'middle';
    out.push(
      `<line x1="${at}" x2="${at}" y1="${TOP_Y}" y2="${BOTTOM_Y + BOTTOM_H}" stroke="${COLORS.grid}"/>`,
      `<text x="${at}" y="${BOTTOM_Y + BOTTOM_H + 16}" text-anchor="${anchor}">${escape(tick.label)}</text>`,
    );
  }
  out.push(
    `<rect x="${LEFT}" y="${TOP_Y}" width="${PLOT}" height="${TOP_H}" fill="none" stroke="#9ca3af"/>`,
    `<rect x="${LEFT}" y="${BOTTOM_Y}" width="${PLOT}" height="${BOTTOM_H}" fill="none" stroke="#9ca3af"/>`,
  );

  const legend: [string, string, boolean][] = [[COLORS.demand, 'claim attempts', false]];
  reports.forEach((report, i) => {
    const name = reports.length > 1 ? ` (${i === 0 ? 'a' : 'b'}: ${report.source})` : '';
    legend.push([COLORS.miss[i] as string, `misses${name}`, false]);
    legend.push([COLORS.target[i] as string, `target${name}`, i > 0]);
    legend.push([COLORS.eligible[i] as string, `eligible${name}`, i > 0]);
  });
  let lx = LEFT;
  let ly = BOTTOM_Y + BOTTOM_H + 40;
  for (const [color, label, dashed] of legend) {
    const width = 28 + label.length * 6.5;
    if (lx + width > WIDTH - RIGHT) {
      lx = LEFT;
      ly += 18;
    }
    out.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="6"${dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 24}" y="${ly}">${escape(label)}</text>`,
    );
    lx += width + 16;
  }
  const height = ly + 16;
  out[0] = svgOpen(height);
  out[1] = `<rect width="${WIDTH}" height="${height}" fill="white"/>`;
  out.push('</svg>');
  return out.join('\n') + '\n';
}

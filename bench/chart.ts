/**
 * A hand-written SVG bar chart, enough for the benchmark report: one or more panels side by side,
 * each a set of bars with a min–max whisker; a bar without a value is drawn as an empty slot with
 * its note ("not run"). No library: the output is plain, deterministic SVG 1.1 text that any
 * browser or GitHub renders, and tests can parse.
 */
import type { Spread } from './stats.js';

export interface Bar {
  label: string;
  /** Median with min/max; absent = not measured (the slot shows `note`). */
  value?: Spread;
  /** Colour group: bars of one series share a colour and a legend entry. @defaultValue 0 */
  series?: number;
  /** Shown instead of the value when `value` is absent. @defaultValue 'not run' */
  note?: string;
}

export interface Panel {
  title: string;
  /** Unit of the y axis, e.g. `workflows/s`. */
  unit: string;
  bars: Bar[];
  /** Legend names, by series index. */
  series?: string[];
}

export interface ChartOptions {
  /** Width of one panel. @defaultValue 420 */
  panelWidth?: number;
  /** Height of a panel. @defaultValue 300 */
  height?: number;
  title?: string;
}

const COLOURS = ['#3b6ea5', '#e07b39', '#5a9e5a', '#9b59b6', '#c0392b'];

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A round axis maximum ≥ `value`: 1, 2 or 5 times a power of ten. */
export function niceMax(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 10_000) return `${(value / 1000).toFixed(0)}k`;
  if (abs >= 1000) return `${(value / 1000).toFixed(1)}k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function panelSvg(panel: Panel, x0: number, width: number, height: number): string {
  const top = 40;
  const bottom = height - 70;
  const left = x0 + 50;
  const right = x0 + width - 10;
  const values = panel.bars.flatMap((b) => (b.value ? [b.value.max, b.value.median] : [])).filter(Number.isFinite);
  const max = niceMax(Math.max(0, ...values));
  const y = (v: number) => bottom - ((bottom - top) * Math.max(0, v)) / max;
  const parts: string[] = [];
  parts.push(
    `<text x="${x0 + width / 2}" y="20" text-anchor="middle" font-weight="bold">${escapeXml(panel.title)}</text>`,
  );
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    parts.push(`<line x1="${left}" y1="${y(v).toFixed(1)}" x2="${right}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${left - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="10">${formatNumber(v)}</text>`,
    );
  }
  parts.push(
    `<text x="${x0 + 12}" y="${(top + bottom) / 2}" transform="rotate(-90 ${x0 + 12} ${(top + bottom) / 2})" text-anchor="middle" font-size="11">${escapeXml(panel.unit)}</text>`,
  );
  const slot = (right - left) / Math.max(1, panel.bars.length);
  panel.bars.forEach((bar, i) => {
    const cx = left + slot * (i + 0.5);
    const w = Math.max(6, slot * 0.6);
    const colour = COLOURS[(bar.series ?? 0) % COLOURS.length] as string;
    if (bar.value && Number.isFinite(bar.value.median)) {
      const v = bar.value;
      parts.push(
        `<rect class="bar" x="${(cx - w / 2).toFixed(1)}" y="${y(v.median).toFixed(1)}" width="${w.toFixed(1)}" height="${(bottom - y(v.median)).toFixed(1)}" fill="${colour}"><title>${escapeXml(`${bar.label}: ${formatNumber(v.median)} (${formatNumber(v.min)}–${formatNumber(v.max)}) ${panel.unit}`)}</title></rect>`,
      );
      parts.push(
        `<line class="whisker" x1="${cx.toFixed(1)}" y1="${y(v.min).toFixed(1)}" x2="${cx.toFixed(1)}" y2="${y(v.max).toFixed(1)}" stroke="#222"/>`,
      );
      parts.push(
        `<text x="${cx.toFixed(1)}" y="${(y(v.max) - 4).toFixed(1)}" text-anchor="middle" font-size="10">${formatNumber(v.median)}</text>`,
      );
    } else {
      parts.push(
        `<rect class="missing" x="${(cx - w / 2).toFixed(1)}" y="${top}" width="${w.toFixed(1)}" height="${bottom - top}" fill="none" stroke="#bbb" stroke-dasharray="4 3"/>`,
      );
      parts.push(
        `<text x="${cx.toFixed(1)}" y="${(top + bottom) / 2}" transform="rotate(-90 ${cx.toFixed(1)} ${(top + bottom) / 2})" text-anchor="middle" font-size="10" fill="#888">${escapeXml(bar.note ?? 'not run')}</text>`,
      );
    }
    parts.push(
      `<text x="${cx.toFixed(1)}" y="${bottom + 12}" text-anchor="end" font-size="10" transform="rotate(-30 ${cx.toFixed(1)} ${bottom + 12})">${escapeXml(bar.label)}</text>`,
    );
  });
  parts.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#222"/>`);
  (panel.series ?? []).forEach((name, i) => {
    const lx = left + 8 + i * 80;
    parts.push(
      `<rect x="${lx}" y="${top - 12}" width="10" height="10" fill="${COLOURS[i % COLOURS.length] as string}"/>`,
    );
    parts.push(`<text x="${lx + 14}" y="${top - 3}" font-size="10">${escapeXml(name)}</text>`);
  });
  return parts.join('\n');
}

/** Renders the panels side by side as one SVG document. */
export function renderChart(panels: readonly Panel[], options: ChartOptions = {}): string {
  const panelWidth = options.panelWidth ?? 420;
  const height = options.height ?? 300;
  const offset = options.title ? 24 : 0;
  const width = panelWidth * Math.max(1, panels.length);
  const body = panels.map((p, i) => panelSvg(p, i * panelWidth, panelWidth, height)).join('\n');
  const title = options.title
    ? `<text x="${width / 2}" y="16" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>\n`
    : '';
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + offset}" viewBox="0 0 ${width} ${height + offset}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    title + `<g transform="translate(0 ${offset})">`,
    body,
    `</g>`,
    `</svg>`,
    '',
  ].join('\n');
}

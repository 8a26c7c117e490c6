/**
 * Time-series charts with uPlot: lines, incident markers (a line where an incident started and a
 * shaded span while it lasted) and, where the detector provides them, expected bands. The figure
 * carries a text summary for screen readers, since a canvas says nothing to them.
 */
import uPlot from 'uplot';
import { bandRuns } from './bands.js';
import { h } from './dom.js';

export interface ChartLine {
  label: string;
  /** One value per x; null where there is no data. */
  values: (number | null)[];
}

export interface ChartMarker {
  /** Epoch ms. */
  start: number;
  end?: number;
  /** Incidents by severity; anomalies (spans the detector found unusual) in their own colour. */
  severity: 'info' | 'warning' | 'critical' | 'anomaly';
  label: string;
}

/** The range the anomaly detector expected for a line, on the same x values as the line. */
export interface ChartBand {
  /** The line the band belongs to (index in `lines`): it takes that line's colour. */
  line: number;
  lower: (number | null)[];
  upper: (number | null)[];
  /** Buckets with both bounds. */
  count: number;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** Epoch ms, ascending. */
  xs: number[];
  lines: ChartLine[];
  format: (value: number) => string;
  markers: ChartMarker[];
  /** Expected bands, drawn behind the lines; only those with points count. */
  bands?: ChartBand[];
  /** Fixed y range, e.g. [0, 100] for percentages. */
  yRange?: [number, number];
  /** The x range shown (epoch ms): the range asked for, whatever the data covers. */
  xRange: [number, number];
}

const PALETTE = ['#2563eb', '#16a34a', '#ea580c', '#0d9488', '#0891b2', '#be123c'];
export const SEVERITY_COLORS = {
  info: '#2563eb',
  warning: '#d97706',
  critical: '#dc2626',
  anomaly: '#9333ea',
} as const;

const colorOf = (line: number) => PALETTE[line % PALETTE.length] as string;

/** Fills each band between its bounds, run by run (a gap in the band stays a gap). */
function drawBands(u: uPlot, bands: readonly ChartBand[]): void {
  const { ctx } = u;
  const xs = u.data[0];
  const at = (i: number) => u.valToPos(xs[i] as number, 'x', true);
  ctx.save();
  // Inside the plot only: a bound past the y range must not paint over the axes.
  ctx.beginPath();
  ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
  ctx.clip();
  for (const band of bands) {
    ctx.fillStyle = `${colorOf(band.line)}2e`;
    for (const [start, end] of bandRuns(band)) {
      const y = (value: number | null | undefined) => u.valToPos(value as number, 'y', true);
      if (start === end) {
        // A lone bucket: a thin bar rather than an invisible zero-width shape.
        const width = 3 * devicePixelRatio;
        const top = y(band.upper[start]);
        ctx.fillRect(at(start) - width / 2, top, width, y(band.lower[start]) - top);
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(at(start), y(band.upper[start]));
      for (let i = start + 1; i <= end; i++) ctx.lineTo(at(i), y(band.upper[i]));
      for (let i = end; i >= start; i--) ctx.lineTo(at(i), y(band.lower[i]));
      ctx.closePath();
      ctx.fill();
    }
  }
  ctx.restore();
}

function markersPlugin(markers: readonly ChartMarker[], bands: readonly ChartBand[]): uPlot.Plugin {
  return {
    hooks: {
      // Before the grid and the lines, so the band sits behind them.
      drawClear: (u) => drawBands(u, bands),
      draw: (u) => {
        const { ctx } = u;
        const top = u.bbox.top;
        const height = u.bbox.height;
        ctx.save();
        for (const marker of markers) {
          const color = SEVERITY_COLORS[marker.severity];
          const start = Math.max(u.bbox.left, u.valToPos(marker.start / 1000, 'x', true));
          const endTs = marker.end ?? (u.scales.x?.max ?? 0) * 1000;
          const end = Math.min(u.bbox.left + u.bbox.width, u.valToPos(endTs / 1000, 'x', true));
          if (end > start) {
            ctx.fillStyle = `${color}1f`;
            ctx.fillRect(start, top, end - start, height);
          }
          ctx.strokeStyle = color;
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.beginPath();
          ctx.moveTo(start, top);
          ctx.lineTo(start, top + height);
          ctx.stroke();
          ctx.fillStyle = color;
          ctx.beginPath();
          const size = 6 * devicePixelRatio;
          ctx.moveTo(start - size, top);
          ctx.lineTo(start + size, top);
          ctx.lineTo(start, top + size * 1.4);
          ctx.closePath();
          ctx.fill();
        }
        ctx.restore();
      },
    },
  };
}

function summary(spec: ChartSpec): string {
  const parts = spec.lines.map((line) => {
    const values = line.values.filter((value): value is number => value !== null);
    if (values.length === 0) return `${line.label}: no data`;
    return `${line.label}: latest ${spec.format(values.at(-1) as number)}, highest ${spec.format(Math.max(...values))}`;
  });
  const anomalies = spec.markers.filter((marker) => marker.severity === 'anomaly').length;
  if (spec.markers.length > anomalies)
    parts.push(`${spec.markers.length - anomalies} incident marker(s)`);
  if (anomalies > 0) parts.push(`${anomalies} anomaly marker(s)`);
  for (const band of spec.bands ?? []) {
    const last = band.upper.findLastIndex((value) => value !== null);
    const line = spec.lines[band.line]?.label ?? '';
    parts.push(
      `expected range of ${line} drawn for ${band.count} point(s), latest ${spec.format(band.lower[last] as number)} to ${spec.format(band.upper[last] as number)}`,
    );
  }
  return `${spec.title}. ${parts.join('; ')}.`;
}

/** The key under the plot: a swatch per band, in its line's colour (hidden from screen readers,
 * which read the summary). */
function bandKey(spec: ChartSpec & { bands: ChartBand[] }): HTMLElement {
  // With more than one line, say which line each band is of.
  const several = spec.lines.length > 1;
  return h(
    'p',
    { class: 'chart-key', 'aria-hidden': 'true' },
    spec.bands.map((band) => {
      const swatch = h('span', { class: 'swatch' });
      // Through the CSSOM: the Content-Security-Policy refuses inline style attributes.
      swatch.style.background = `${colorOf(band.line)}2e`;
      return h(
        'span',
        {},
        swatch,
        several ? `expected range (${spec.lines[band.line]?.label ?? ''})` : 'expected range',
      );
    }),
  );
}

/** The automatic y range, widened to hold the bands (else a band above the line is cut off). */
function withBands(bands: readonly ChartBand[]): uPlot.Range.Function {
  return (_u, dataMin, dataMax) => {
    let min = dataMin;
    let max = dataMax;
    for (const band of bands)
      for (let i = 0; i < band.lower.length; i++) {
        const lo = band.lower[i];
        const hi = band.upper[i];
        if (lo != null) min = min == null ? lo : Math.min(min, lo);
        if (hi != null) max = max == null ? hi : Math.max(max, hi);
      }
    return uPlot.rangeNum(min ?? 0, max ?? 1, 0.1, true);
  };
}

/** A chart in a figure; returns the figure and a function that frees the chart. */
export function chartFigure(spec: ChartSpec): { figure: HTMLElement; destroy: () => void } {
  const plotArea = h('div', { class: 'plot' });
  const bands = (spec.bands ?? []).filter((band) => band.count > 0);
  const bandSpec = { ...spec, bands };
  const pointCount = spec.lines.reduce(
    (count, line) => count + line.values.filter((value) => value !== null).length,
    0,
  );
  const titleId = `${spec.id}-title`;
  const figure = h(
    'figure',
    {
      class: 'chart',
      id: spec.id,
      role: 'group',
      'aria-labelledby': titleId,
      'data-points': pointCount,
      'data-markers': spec.markers.filter((marker) => marker.severity !== 'anomaly').length,
      'data-anomalies': spec.markers.filter((marker) => marker.severity === 'anomaly').length,
      'data-band-points': bands.reduce((count, band) => count + band.count, 0),
    },
    h('figcaption', { id: titleId }, spec.title),
    h('p', { class: 'sr-only' }, summary(bandSpec)),
    plotArea,
    bands.length > 0 ? bandKey(bandSpec) : null,
  );
  if (pointCount === 0) {
    plotArea.append(h('p', { class: 'empty' }, 'No data in this range.'));
    return { figure, destroy: () => {} };
  }

  const options: uPlot.Options = {
    width: 600,
    height: 200,
    legend: { show: spec.lines.length > 1, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: [spec.xRange[0] / 1000, spec.xRange[1] / 1000] },
      y: spec.yRange
        ? { range: spec.yRange }
        : bands.length > 0
          ? { range: withBands(bands) }
          : { auto: true },
    },
    axes: [
      { stroke: '#6b7280', grid: { stroke: 'rgba(128,128,128,0.15)' } },
      {
        stroke: '#6b7280',
        grid: { stroke: 'rgba(128,128,128,0.15)' },
        size: 70,
        values: (_u, values) => values.map((value) => spec.format(value)),
      },
    ],
    series: [
      {},
      ...spec.lines.map((line, index) => ({
        label: line.label,
        stroke: PALETTE[index % PALETTE.length],
        width: 1.5,
        spanGaps: false,
        value: (_u: uPlot, value: number | null) => (value === null ? '–' : spec.format(value)),
      })),
    ],
    plugins: [markersPlugin(spec.markers, bands)],
  };
  const data: uPlot.AlignedData = [
    spec.xs.map((ts) => ts / 1000),
    ...spec.lines.map((line) => line.values),
  ] as uPlot.AlignedData;
  const plot = new uPlot(options, data, plotArea);
  const resize = () => {
    const width = Math.max(260, plotArea.clientWidth);
    if (width !== plot.width) plot.setSize({ width, height: 200 });
  };
  const observer = new ResizeObserver(resize);
  observer.observe(plotArea);
  queueMicrotask(resize);
  return {
    figure,
    destroy: () => {
      observer.disconnect();
      plot.destroy();
    },
  };
}

/**
 * Time-series charts with uPlot: lines, incident markers (a line where an incident started and a
 * shaded span while it lasted) and, where the detector provides them, expected bands. The figure
 * carries a text summary for screen readers, since a canvas says nothing to them.
 */
import uPlot from 'uplot';
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

export interface ChartBand {
  lower: (number | null)[];
  upper: (number | null)[];
}

export interface ChartSpec {
  id: string;
  title: string;
  /** Epoch ms, ascending. */
  xs: number[];
  lines: ChartLine[];
  format: (value: number) => string;
  markers: ChartMarker[];
  band?: ChartBand;
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

function markersPlugin(markers: readonly ChartMarker[], band: ChartBand | undefined): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u) => {
        if (!band) return;
        // The expected band, behind the lines.
        const { ctx } = u;
        const xs = u.data[0];
        ctx.save();
        ctx.fillStyle = 'rgba(37, 99, 235, 0.12)';
        ctx.beginPath();
        let open = false;
        const upper: [number, number][] = [];
        for (let i = 0; i < xs.length; i++) {
          const hi = band.upper[i];
          const lo = band.lower[i];
          if (hi === null || hi === undefined || lo === null || lo === undefined) continue;
          const x = u.valToPos(xs[i] as number, 'x', true);
          upper.push([x, u.valToPos(hi, 'y', true)]);
          if (!open) ctx.moveTo(x, u.valToPos(lo, 'y', true));
          else ctx.lineTo(x, u.valToPos(lo, 'y', true));
          open = true;
        }
        for (const [x, y] of upper.reverse()) ctx.lineTo(x, y);
        ctx.closePath();
        ctx.fill();
        ctx.restore();
      },
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
  return `${spec.title}. ${parts.join('; ')}.`;
}

/** A chart in a figure; returns the figure and a function that frees the chart. */
export function chartFigure(spec: ChartSpec): { figure: HTMLElement; destroy: () => void } {
  const plotArea = h('div', { class: 'plot' });
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
    },
    h('figcaption', { id: titleId }, spec.title),
    h('p', { class: 'sr-only' }, summary(spec)),
    plotArea,
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
      y: spec.yRange ? { range: spec.yRange } : { auto: true },
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
    plugins: [markersPlugin(spec.markers, spec.band)],
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

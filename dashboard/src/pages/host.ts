import { api, type Incident, type Points, type SeriesView } from '../api.js';
import { type ChartMarker, type ChartSpec, chartFigure } from '../chart.js';
import { h, mount, notice } from '../dom.js';
import { bytesPerSecond, percent, time } from '../format.js';
import type { Page } from '../main.js';
import { incidentTable } from './common.js';

const RANGES = [
  { label: '1 h', ms: 3_600_000 },
  { label: '6 h', ms: 6 * 3_600_000 },
  { label: '24 h', ms: 24 * 3_600_000 },
  { label: '7 d', ms: 7 * 24 * 3_600_000 },
] as const;
const RANGE_KEY = 'vigil.range';

/** One line from two series on the same buckets, e.g. used = 1 - available / total. */
function joinRatio(
  numerator: SeriesView | undefined,
  denominator: SeriesView | undefined,
  combine: (n: number, d: number) => number,
): Map<number, number> {
  const out = new Map<number, number>();
  if (!numerator || !denominator) return out;
  const totals = new Map(denominator.points);
  for (const [ts, value] of numerator.points) {
    const total = totals.get(ts);
    if (total !== undefined && total !== 0) out.set(ts, combine(value, total));
  }
  return out;
}

function toChart(
  id: string,
  title: string,
  lines: { label: string; values: Map<number, number> }[],
  format: (value: number) => string,
  markers: ChartMarker[],
  xRange: [number, number],
  yRange?: [number, number],
): ChartSpec {
  const xs = [...new Set(lines.flatMap((line) => [...line.values.keys()]))].sort((a, b) => a - b);
  return {
    id,
    title,
    xs,
    lines: lines.map((line) => ({
      label: line.label,
      values: xs.map((x) => line.values.get(x) ?? null),
    })),
    format,
    markers,
    xRange,
    ...(yRange ? { yRange } : {}),
  };
}

const single = (points: Points, map: (value: number) => number = (value) => value) =>
  new Map((points.series[0]?.points ?? []).map(([ts, value]) => [ts, map(value)]));

/** CPU, memory, disk and network of one host, with incident markers; recent logs. */
export const hostPage: Page = async (main, [agent = '']) => {
  const rangeMs =
    RANGES.find((range) => String(range.ms) === localStorage.getItem(RANGE_KEY))?.ms ??
    RANGES[0].ms;
  const to = Date.now();
  const from = to - rangeMs;
  const base = { agent, from, to };

  const [
    cpu,
    memAvailable,
    memTotal,
    fsAvail,
    fsSize,
    netIn,
    netOut,
    incidents,
    logs,
    anomalies,
    templates,
  ] = await Promise.all([
    api.points({
      ...base,
      name: 'node_cpu_seconds_total',
      rate: true,
      match: 'mode=idle',
      agg: 'avg',
    }),
    api.points({ ...base, name: 'node_memory_MemAvailable_bytes', agg: 'avg' }),
    api.points({ ...base, name: 'node_memory_MemTotal_bytes', agg: 'avg' }),
    api.points({ ...base, name: 'node_filesystem_avail_bytes', agg: 'avg', by: 'mountpoint' }),
    api.points({ ...base, name: 'node_filesystem_size_bytes', agg: 'avg', by: 'mountpoint' }),
    api.points({
      ...base,
      name: 'node_network_receive_bytes_total',
      rate: true,
      match: 'device!=lo',
      agg: 'sum',
    }),
    api.points({
      ...base,
      name: 'node_network_transmit_bytes_total',
      rate: true,
      match: 'device!=lo',
      agg: 'sum',
    }),
    api.incidents({ agent, from, to, limit: 100 }),
    api.logs(agent, 50),
    api.anomalies(agent),
    api.templates(agent),
  ]);

  const markers: ChartMarker[] = incidents.items.map((incident: Incident) => ({
    start: incident.firstSeen,
    ...(incident.resolvedAt ? { end: incident.resolvedAt } : {}),
    severity: incident.severity,
    label: incident.summary,
  }));
  const disks = fsAvail.series.slice(0, 4).map((series) => ({
    label: series.labels.mountpoint ?? 'filesystem',
    values: joinRatio(
      series,
      fsSize.series.find((size) => size.labels.mountpoint === series.labels.mountpoint),
      (avail, size) => 100 * (1 - avail / size),
    ),
  }));
  const specs: ChartSpec[] = [
    toChart(
      'chart-cpu',
      'CPU busy',
      [{ label: 'busy', values: single(cpu, (idle) => Math.max(0, 100 * (1 - idle))) }],
      percent,
      markers,
      [from, to],
      [0, 100],
    ),
    toChart(
      'chart-memory',
      'Memory used',
      [
        {
          label: 'used',
          values: joinRatio(
            memAvailable.series[0],
            memTotal.series[0],
            (a, t) => 100 * (1 - a / t),
          ),
        },
      ],
      percent,
      markers,
      [from, to],
      [0, 100],
    ),
    toChart(
      'chart-disk',
      'Disk used',
      disks.length > 0 ? disks : [{ label: 'used', values: new Map() }],
      percent,
      markers,
      [from, to],
      [0, 100],
    ),
    toChart(
      'chart-network',
      'Network',
      [
        { label: 'received', values: single(netIn) },
        { label: 'sent', values: single(netOut) },
      ],
      bytesPerSecond,
      markers,
      [from, to],
    ),
  ];
  const charts = specs.map(chartFigure);

  const rangeButtons = h(
    'div',
    { class: 'segmented', role: 'group', 'aria-label': 'Time range' },
    RANGES.map((range) =>
      h(
        'button',
        {
          type: 'button',
          'aria-pressed': String(range.ms === rangeMs),
          onclick: () => {
            localStorage.setItem(RANGE_KEY, String(range.ms));
            window.dispatchEvent(new HashChangeEvent('hashchange'));
          },
        },
        range.label,
      ),
    ),
  );

  mount(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Overview'), ' / ', agent),
    h('div', { class: 'page-head' }, h('h1', {}, agent), rangeButtons),
    cpu.truncated
      ? notice(
          'The range holds more points than one chart reads; the chart shows its oldest part. Pick a shorter range.',
        )
      : null,
    'available' in anomalies && anomalies.available === false
      ? notice(`Anomaly bands: ${anomalies.reason}.`)
      : null,
    h(
      'section',
      { class: 'charts', 'aria-label': 'Metrics' },
      charts.map((chart) => chart.figure),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'host-incidents' },
      h('h2', { id: 'host-incidents' }, 'Incidents in this range'),
      incidents.items.length === 0
        ? notice('None.')
        : incidentTable(incidents.items, `Incidents of ${agent} in the selected range`),
    ),
    h(
      'div',
      { class: 'two-col' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'host-logs' },
        h('h2', { id: 'host-logs' }, 'Recent logs'),
        logs.items.length === 0
          ? notice('No log lines in the last 24 hours.')
          : h(
              'ol',
              { class: 'logs' },
              logs.items.map((line) =>
                h(
                  'li',
                  { class: `level-${line.level ?? 'none'}` },
                  h('time', { datetime: new Date(line.ts).toISOString() }, time(line.ts)),
                  h('span', { class: 'level' }, line.level ?? ''),
                  h('span', { class: 'source' }, line.source),
                  h('span', { class: 'message' }, line.message),
                ),
              ),
            ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'host-templates' },
        h('h2', { id: 'host-templates' }, 'Top log templates'),
        'available' in templates && templates.available === false
          ? notice(`Not available: ${templates.reason}.`)
          : null,
      ),
    ),
  );
  return () => {
    for (const chart of charts) chart.destroy();
  };
};

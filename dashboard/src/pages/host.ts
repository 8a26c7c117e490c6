import { api, type Incident, type Points, type SeriesView } from '../api.js';
import { alignBand, EXPECTED_HIGH, EXPECTED_LOW, seriesWith, sumSeries } from '../bands.js';
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

/** The chart a detector series belongs on, by its metric name. */
function chartOfSeries(series: string): string {
  if (series.startsWith('node_cpu')) return 'chart-cpu';
  if (series.startsWith('node_memory')) return 'chart-memory';
  if (series.startsWith('node_disk') || series.startsWith('node_filesystem')) return 'chart-disk';
  if (series.startsWith('node_network')) return 'chart-network';
  return '';
}

/**
 * Where a chart's line is the very quantity an anomaly rule scores, the rule's expected band for
 * it: `line` is the index of the line, `scale` turns the rule's unit into the chart's.
 */
interface BandOf {
  line: number;
  rule: string;
  device?: string;
  scale?: number;
  max?: number;
}

/** The detector's expected bounds of every rule and device, in the charts' buckets. */
interface Expected {
  low: Points;
  high: Points;
}

const single = (points: Points, map: (value: number) => number = (value) => value) =>
  new Map((points.series[0]?.points ?? []).map(([ts, value]) => [ts, map(value)]));

/** A card that shows "Loading…" until its content arrives, or what went wrong. */
function slot(title: string): {
  element: HTMLElement;
  fill: (content: HTMLElement) => void;
  fail: (error: unknown) => void;
} {
  const element = h(
    'div',
    { class: 'chart loading', 'aria-busy': 'true' },
    h('div', { class: 'figcaption' }, title),
    h('p', { class: 'empty' }, 'Loading…'),
  );
  return {
    element,
    fill: (content) => element.replaceWith(content),
    fail: (error) => {
      element.removeAttribute('aria-busy');
      element.lastElementChild?.replaceWith(
        notice(`Could not load: ${(error as Error).message}`, 'error'),
      );
    },
  };
}

/**
 * CPU, memory, disk and network of one host, with incident markers; recent logs and templates.
 * The frame is drawn at once and each part fills in as its data arrives.
 */
export const hostPage: Page = async (main, [agent = '']) => {
  const rangeMs =
    RANGES.find((range) => String(range.ms) === localStorage.getItem(RANGE_KEY))?.ms ??
    RANGES[0].ms;
  const to = Date.now();
  const from = to - rangeMs;
  const base = { agent, from, to };
  const xRange: [number, number] = [from, to];
  const charts: { destroy: () => void }[] = [];
  let gone = false;

  const incidents = api.incidents({ agent, from, to, limit: 100 });
  const anomalies = api.anomalies(agent);
  const incidentMarkers = incidents.then((page) =>
    page.items.map(
      (incident: Incident): ChartMarker => ({
        start: incident.firstSeen,
        ...(incident.resolvedAt ? { end: incident.resolvedAt } : {}),
        severity: incident.severity,
        label: incident.summary,
      }),
    ),
  );

  /** Spans the detector found unusual, on the chart of their metric. */
  const anomalyMarkers = anomalies.then((answer) =>
    answer.available
      ? answer.deviations
          .filter((deviation) => deviation.lastTs >= from)
          .map((deviation) => ({
            chart: chartOfSeries(deviation.series),
            marker: {
              start: deviation.since,
              end: deviation.lastTs,
              severity: 'anomaly',
              label: `${deviation.series} (score ${deviation.peak.toFixed(2)})`,
            } satisfies ChartMarker,
          }))
      : [],
  );
  // One read per bound for the whole page (the store reads every series of a name anyway); the
  // same from/to/points as the lines, so the buckets line up. Per bucket each series is a mean;
  // min/max only combine series that share rule and device. If it fails the lines still draw,
  // without a band, and the chart says why.
  const expectedQuery = { ...base, by: 'rule,device' };
  const expected: Promise<Expected | Error> = Promise.all([
    api.points({ ...expectedQuery, name: EXPECTED_LOW, agg: 'min' }),
    api.points({ ...expectedQuery, name: EXPECTED_HIGH, agg: 'max' }),
  ]).then(
    ([low, high]) => ({ low, high }),
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  const markersOf = (id: string) =>
    Promise.all([incidentMarkers, anomalyMarkers]).then(([found, unusual]) => [
      ...found,
      ...unusual.filter((entry) => entry.chart === id).map((entry) => entry.marker),
    ]);

  /** One chart: its queries, then how their answers become lines. */
  const chart = <T extends Points[]>(
    id: string,
    title: string,
    queries: { [K in keyof T]: Promise<Points> },
    lines: (answers: T) => { label: string; values: Map<number, number> }[],
    format: (value: number) => string,
    yRange?: [number, number],
    bandsOf?: (answers: T) => BandOf[],
  ): HTMLElement => {
    const place = slot(title);
    Promise.all([Promise.all(queries), markersOf(id), bandsOf ? expected : null])
      .then(([answers, found, expectation]) => {
        if (gone) return;
        const spec = toChart(id, title, lines(answers as T), format, found, xRange, yRange);
        const bounds = expectation instanceof Error ? null : expectation;
        const wanted = bounds && bandsOf ? bandsOf(answers as T) : [];
        spec.bands = wanted.map(({ line, rule, device, scale, max }) => {
          const labels: Record<string, string> = device === undefined ? { rule } : { rule, device };
          return {
            line,
            ...alignBand(
              spec.xs,
              seriesWith(bounds?.low.series ?? [], labels),
              seriesWith(bounds?.high.series ?? [], labels),
              { scale: scale ?? 1, min: 0, ...(max === undefined ? {} : { max }) },
            ),
          };
        });
        const built = chartFigure(spec);
        charts.push(built);
        place.fill(built.figure);
        if ((answers as Points[]).some((answer) => answer.truncated))
          built.figure.append(
            notice(
              'This range holds more points than one chart reads; it shows the oldest part. Pick a shorter range.',
            ),
          );
        else if (expectation instanceof Error)
          built.figure.append(
            notice(`The expected range could not be loaded: ${expectation.message}`, 'error'),
          );
        else if (
          spec.bands.some((band) => band.count > 0) &&
          (bounds?.low.truncated || bounds?.high.truncated)
        )
          built.figure.append(
            notice(
              'The expected range is drawn for the oldest part of this range only (too many points). Pick a shorter range.',
            ),
          );
      })
      .catch(place.fail);
    return place.element;
  };

  const figures = [
    chart<[Points]>(
      'chart-cpu',
      'CPU busy',
      [
        api.points({
          ...base,
          name: 'node_cpu_seconds_total',
          rate: true,
          match: 'mode=idle',
          agg: 'avg',
        }),
      ],
      ([cpu]) => [{ label: 'busy', values: single(cpu, (idle) => Math.max(0, 100 * (1 - idle))) }],
      percent,
      [0, 100],
      () => [{ line: 0, rule: 'CpuAnomaly', scale: 100, max: 100 }],
    ),
    chart<[Points, Points]>(
      'chart-memory',
      'Memory used',
      [
        api.points({ ...base, name: 'node_memory_MemAvailable_bytes', agg: 'avg' }),
        api.points({ ...base, name: 'node_memory_MemTotal_bytes', agg: 'avg' }),
      ],
      ([available, total]) => [
        {
          label: 'used',
          values: joinRatio(available.series[0], total.series[0], (a, t) => 100 * (1 - a / t)),
        },
      ],
      percent,
      [0, 100],
      // MemoryAnomaly scores 1 - MemAvailable / MemTotal: this line, as a share.
      () => [{ line: 0, rule: 'MemoryAnomaly', scale: 100, max: 100 }],
    ),
    chart<[Points, Points]>(
      'chart-disk',
      'Disk used',
      [
        api.points({ ...base, name: 'node_filesystem_avail_bytes', agg: 'avg', by: 'mountpoint' }),
        api.points({ ...base, name: 'node_filesystem_size_bytes', agg: 'avg', by: 'mountpoint' }),
      ],
      ([avail, size]) => {
        const disks = avail.series.slice(0, 4).map((series) => ({
          label: series.labels.mountpoint ?? 'filesystem',
          values: joinRatio(
            series,
            size.series.find(
              (candidate) => candidate.labels.mountpoint === series.labels.mountpoint,
            ),
            (free, total) => 100 * (1 - free / total),
          ),
        }));
        return disks.length > 0 ? disks : [{ label: 'used', values: new Map() }];
      },
      percent,
      [0, 100],
    ),
    chart<[Points, Points]>(
      'chart-network',
      'Network',
      [
        api.points({
          ...base,
          name: 'node_network_receive_bytes_total',
          rate: true,
          match: 'device!=lo',
          agg: 'sum',
          by: 'device',
        }),
        api.points({
          ...base,
          name: 'node_network_transmit_bytes_total',
          rate: true,
          match: 'device!=lo',
          agg: 'sum',
          by: 'device',
        }),
      ],
      ([received, sent]) => [
        { label: 'received', values: sumSeries(received.series) },
        { label: 'sent', values: sumSeries(sent.series) },
      ],
      bytesPerSecond,
      undefined,
      // The rules score each interface; the lines sum them. A band only where the sum is of one
      // interface, so it is that interface's band (a sum of bands is no band of the sum).
      ([received, sent]) =>
        [
          { line: 0, rule: 'NetworkReceiveAnomaly', answer: received },
          { line: 1, rule: 'NetworkTransmitAnomaly', answer: sent },
        ].flatMap(({ line, rule, answer }) => {
          const device = answer.series.length === 1 ? answer.series[0]?.labels.device : undefined;
          return device === undefined ? [] : [{ line, rule, device }];
        }),
    ),
  ];

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

  const anomalyNote = h('div', {});
  const incidentList = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const logSearch = h('div', {});
  const logList = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const templateList = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  mount(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Overview'), ' / ', agent),
    h('div', { class: 'page-head' }, h('h1', {}, agent), rangeButtons),
    anomalyNote,
    h('section', { class: 'charts', 'aria-label': 'Metrics' }, figures),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'host-incidents' },
      h('h2', { id: 'host-incidents' }, 'Incidents in this range'),
      incidentList,
    ),
    h(
      'div',
      { class: 'two-col' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'host-logs' },
        h('h2', { id: 'host-logs' }, 'Recent logs'),
        logSearch,
        logList,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'host-templates' },
        h('h2', { id: 'host-templates' }, 'Top log templates'),
        templateList,
      ),
    ),
  );

  const fill = <T>(
    target: HTMLElement,
    work: Promise<T>,
    render: (value: T) => HTMLElement | null,
  ) =>
    work
      .then((value) => {
        if (!gone) mount(target, render(value));
      })
      .catch((error: unknown) =>
        mount(target, notice(`Could not load: ${(error as Error).message}`, 'error')),
      );

  void fill(incidentList, incidents, (page) =>
    page.items.length === 0
      ? notice('None.')
      : incidentTable(page.items, `Incidents of ${agent} in the selected range`),
  );
  const logFilter: { q?: string; level?: string; template?: string } = {};
  const loadLogs = () =>
    fill(logList, api.logs(agent, 50, logFilter), (logs) =>
      logs.items.length === 0
        ? notice(
            Object.keys(logFilter).length > 0
              ? 'No line of the last 24 hours matches.'
              : 'No log lines in the last 24 hours.',
          )
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
    );
  const searchText = h('input', { id: 'log-search', type: 'search', name: 'q', maxlength: 256 });
  const searchLevel = h(
    'select',
    { id: 'log-level', name: 'level' },
    [
      ['', 'Any level'],
      ['warn', 'Warn and above'],
      ['error', 'Error and above'],
    ].map(([value, text]) => h('option', { value }, text)),
  );
  const templateFilter = h('p', { class: 'sub', hidden: true });
  logSearch.append(
    h(
      'form',
      {
        class: 'filters',
        role: 'search',
        onsubmit: (event: Event) => {
          event.preventDefault();
          if (searchText.value.trim()) logFilter.q = searchText.value.trim();
          else delete logFilter.q;
          if (searchLevel.value) logFilter.level = searchLevel.value;
          else delete logFilter.level;
          void loadLogs();
        },
      },
      h(
        'div',
        { class: 'field grow' },
        h('label', { for: 'log-search' }, 'Search text'),
        searchText,
      ),
      h('div', { class: 'field' }, h('label', { for: 'log-level' }, 'Level'), searchLevel),
      h(
        'div',
        { class: 'field' },
        h('span', { 'aria-hidden': 'true' }, '\u00a0'),
        h('button', { type: 'submit' }, 'Search'),
      ),
    ),
    templateFilter,
  );
  /** Shows the lines of one template (a click in the template list). */
  const showTemplate = (id: string, text: string) => {
    logFilter.template = id;
    mount(
      templateFilter,
      `Lines of template ${text} `,
      h(
        'button',
        {
          type: 'button',
          class: 'link-button',
          onclick: () => {
            delete logFilter.template;
            templateFilter.hidden = true;
            void loadLogs();
          },
        },
        'show all',
      ),
    );
    templateFilter.hidden = false;
    void loadLogs();
    logList.scrollIntoView({ block: 'nearest' });
  };
  void loadLogs();
  void fill(templateList, api.templates(agent), (answer) =>
    answer.available === false
      ? notice(`Not available: ${answer.reason}.`)
      : answer.items.length === 0
        ? notice('No template mined yet: the miner learns them as lines arrive.')
        : h(
            'ol',
            { class: 'templates' },
            answer.items.map((template) =>
              h(
                'li',
                { 'data-template': template.id },
                h('span', { class: 'count' }, template.count.toLocaleString()),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'link-button',
                    title: 'Show its recent lines',
                    onclick: () => showTemplate(template.id, template.text),
                  },
                  h('code', {}, template.text),
                ),
                h('span', { class: 'source sub' }, template.source),
              ),
            ),
          ),
  );
  void fill(anomalyNote, anomalies, (answer) =>
    answer.available === false
      ? notice(`Anomalies: ${answer.reason}.`)
      : h(
          'section',
          { class: 'card', 'aria-labelledby': 'host-anomalies' },
          h('h2', { id: 'host-anomalies' }, 'Anomalies'),
          answer.deviations.length === 0
            ? h('p', { class: 'muted' }, 'The detector found nothing unusual in its recent window.')
            : h(
                'ul',
                { class: 'deviations' },
                answer.deviations.map((deviation) =>
                  h(
                    'li',
                    {},
                    h(
                      'span',
                      { class: 'badge sev-anomaly' },
                      deviation.direction === 'up' ? 'higher' : 'lower',
                    ),
                    h('code', {}, deviation.series),
                    ` score ${deviation.peak.toFixed(2)}, ${deviation.since === deviation.lastTs ? `at ${time(deviation.since)}` : `${time(deviation.since)} – ${time(deviation.lastTs)}`}`,
                  ),
                ),
              ),
          h(
            'p',
            { class: 'hint' },
            'Purple spans on the charts. Shaded behind the CPU, memory and single-interface network lines: the range the detector expected, wherever it scored the points (not in its warm-up).',
          ),
        ),
  );

  return () => {
    gone = true;
    for (const built of charts) built.destroy();
  };
};

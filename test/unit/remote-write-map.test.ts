import { describe, expect, it } from 'vitest';
import {
  AgentResolver,
  agentIdFrom,
  hostOfInstance,
} from '../../lambdas/remote-write/agent-identity.js';
import { isStaleMarker, mapWriteRequest } from '../../lambdas/remote-write/map.js';
import { decodeWriteRequest } from '../../lambdas/remote-write/proto.js';
import { isValidAgentId, seriesProblem } from '../../lambdas/remote-write/series-check.js';
import { AgentSchema, MetricPointSchema } from '../../lambdas/shared/contracts.js';
import {
  encodeWriteRequest,
  NOW,
  type SeriesInput,
  STALE_NAN,
  series,
} from './remote-write-factories.js';

const OPTIONS = { senderVersion: 'Prometheus/2.42.0' };

function map(timeseries: SeriesInput[], options: Parameters<typeof mapWriteRequest>[1] = OPTIONS) {
  return mapWriteRequest(decodeWriteRequest(encodeWriteRequest(timeseries)), options);
}

describe('Function: mapWriteRequest', () => {
  it('maps __name__ to the name, the other labels to labels, and keeps ms timestamps', () => {
    // Prepare
    const input = [series('node_load1', { instance: 'web-1:9100', job: 'node' }, [0.5, 0.7])];

    // Act
    const mapped = map(input);

    // Assess
    expect(mapped.byAgent).toEqual([
      {
        agent: {
          id: 'web-1:9100',
          hostname: 'web-1',
          version: 'Prometheus/2.42.0',
          labels: { source: 'prometheus' },
        },
        points: [
          {
            name: 'node_load1',
            labels: { instance: 'web-1:9100', job: 'node' },
            value: 0.5,
            ts: NOW - 10_000,
          },
          {
            name: 'node_load1',
            labels: { instance: 'web-1:9100', job: 'node' },
            value: 0.7,
            ts: NOW - 9_000,
          },
        ],
      },
    ]);
    expect(mapped).toMatchObject({ series: 1, samples: 2, invalidSeriesCount: 0 });
  });

  it('gives each scrape target its own agent, and series without instance the job or "prometheus"', () => {
    const mapped = map([
      series('up', { instance: 'web-1:9100', job: 'node' }, [1]),
      series('up', { instance: 'web-2:9100', job: 'node' }, [1]),
      series('job:requests:rate5m', { job: 'api' }, [3]),
      series('cluster:cpu:ratio', {}, [0.2]),
    ]);

    expect(mapped.byAgent.map(({ agent }) => [agent.id, agent.hostname])).toEqual([
      ['web-1:9100', 'web-1'],
      ['web-2:9100', 'web-2'],
      ['api', 'api'],
      ['prometheus', 'prometheus'],
    ]);
  });

  it('puts every series on the fixed agent when one is configured', () => {
    const mapped = map(
      [
        series('up', { instance: 'web-1:9100' }, [1]),
        series('up', { instance: 'web-2:9100' }, [1]),
      ],
      { ...OPTIONS, fixedAgentId: 'prom-eu-1' },
    );

    expect(mapped.byAgent).toHaveLength(1);
    expect(mapped.byAgent[0]?.agent).toMatchObject({ id: 'prom-eu-1', hostname: 'prom-eu-1' });
    expect(mapped.byAgent[0]?.points.map((point) => point.labels?.instance)).toEqual([
      'web-1:9100',
      'web-2:9100',
    ]);
  });

  it('drops staleness markers and other non-finite samples, counting each kind', () => {
    // Prepare: sample objects, not an array of numbers: V8 canonicalises NaNs stored in a double
    // array, which would turn the marker into an ordinary NaN before it is encoded.
    const load = series('node_load1', { instance: 'a:1' }, []);
    load.samples = [
      { value: 0.5, timestamp: NOW - 2_000 },
      { value: STALE_NAN, timestamp: NOW - 1_000 },
    ];
    const input = [
      load,
      series('go_gc_duration_seconds', { instance: 'a:1', quantile: '0.5' }, [Number.NaN, 1]),
      series('weird', { instance: 'a:1' }, [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]),
    ];

    // Act
    const mapped = map(input);

    // Assess
    expect(mapped.byAgent[0]?.points.map((point) => point.value)).toEqual([0.5, 1]);
    expect(mapped.dropped).toMatchObject({ stale: 1, nonFinite: 3 });
  });

  it('drops samples whose timestamp the contract cannot carry', () => {
    const input = series('up', { instance: 'a:1' }, [1, 1]);
    input.samples[0] = { value: 1, timestamp: -5 };

    const mapped = map([input]);

    expect(mapped.byAgent[0]?.points).toHaveLength(1);
    expect(mapped.dropped.invalidTimestamp).toBe(1);
  });

  it('refuses series the contract refuses, naming them, and keeps their neighbours', () => {
    const manyLabels = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`l${i}`, 'x']));
    const mapped = map([
      series('ok_metric', { instance: 'a:1' }, [1]),
      series('kube_pod_labels', { instance: 'a:1', ...manyLabels }, [1, 1]),
      series('bad-name', { instance: 'a:1' }, [1]),
      { labels: { instance: 'a:1' }, samples: [{ value: 1, timestamp: NOW }] },
    ]);

    expect(mapped.byAgent[0]?.points.map((point) => point.name)).toEqual(['ok_metric']);
    expect(mapped.invalidSeriesCount).toBe(3);
    expect(mapped.dropped.invalidSeriesSamples).toBe(4);
    expect(mapped.invalidSeries.map((item) => item.reason)).toEqual([
      '34 labels, at most 32 (besides __name__)',
      'metric name "bad-name" is not a Prometheus name',
      'no __name__ label',
    ]);
    expect(mapped.invalidSeries[0]?.series).toMatch(/^kube_pod_labels\{instance="a:1",l0="x"/);
  });

  it('produces points the metrics contract accepts', () => {
    const mapped = map([
      series('node_cpu_seconds_total', { cpu: '0', mode: 'idle', instance: 'h:9100' }, [1, 2]),
    ]);

    for (const { agent, points } of mapped.byAgent) {
      expect(AgentSchema.safeParse(agent).success).toBe(true);
      for (const point of points) expect(MetricPointSchema.safeParse(point).success).toBe(true);
    }
  });
});

describe('Function: isStaleMarker', () => {
  it('tells the staleness marker from an ordinary NaN', () => {
    expect(isStaleMarker(STALE_NAN)).toBe(true);
    expect(isStaleMarker(Number.NaN)).toBe(false);
    expect(isStaleMarker(0)).toBe(false);
  });
});

describe('Function: seriesProblem', () => {
  const long = (n: number) => 'a'.repeat(n);
  // Each case is also run through the zod contract: the two must agree.
  const labelsOf = (n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, 'x']));
  it.each([
    ['a plain name and label', 'node_load1', { instance: 'web-1:9100' }],
    ['a recording rule name', 'ns:metric:rate5m', {}],
    ['leading underscores', '_private', { _label: 'x' }],
    ['a 256-character name', long(256), {}],
    ['a 257-character name', long(257), {}],
    ['a name starting with a digit', '1starts_with_digit', {}],
    ['a name with a dash', 'has-dash', {}],
    ['a label name with a dash', 'ok', { 'bad-label': 'x' }],
    ['a label name starting with a digit', 'ok', { '1label': 'x' }],
    ['a 128-character label name', 'ok', { [long(128)]: 'x' }],
    ['a 129-character label name', 'ok', { [long(129)]: 'x' }],
    ['a 1,024-character label value', 'ok', { label: long(1_024) }],
    ['a 1,025-character label value', 'ok', { label: long(1_025) }],
    ['32 labels', 'ok', labelsOf(32)],
    ['33 labels', 'ok', labelsOf(33)],
  ])('agrees with the contract on %s', (_what, name, labels) => {
    const contract = MetricPointSchema.safeParse({ name, labels, value: 1, ts: NOW }).success;

    expect(seriesProblem(name, labels) === undefined).toBe(contract);
  });
});

describe('Function: isValidAgentId', () => {
  it.each([
    'web-1:9100',
    'prom@eu-1',
    'a',
    '-leading',
    'with space',
    'x'.repeat(128),
    'x'.repeat(129),
    '',
  ])('agrees with the contract on "%s"', (id) => {
    expect(isValidAgentId(id)).toBe(AgentSchema.shape.id.safeParse(id).success);
  });
});

describe('Function: agentIdFrom / hostOfInstance', () => {
  it.each([
    ['web-1:9100', 'web-1:9100', 'web-1'],
    ['10.0.0.5:9100', '10.0.0.5:9100', '10.0.0.5'],
    ['[::1]:9100', '1_:9100', '::1'],
    ['db.example.com', 'db.example.com', 'db.example.com'],
    ['https://svc/metrics', 'https:__svc_metrics', 'https://svc/metrics'],
  ])('%s → agent %s on host %s', (instance, id, host) => {
    expect(agentIdFrom(instance)).toBe(id);
    expect(hostOfInstance(instance)).toBe(host);
    expect(AgentSchema.shape.id.safeParse(agentIdFrom(instance)).success).toBe(true);
  });

  it('gives nothing for a value with no usable character', () => {
    expect(agentIdFrom('///')).toBeUndefined();
    expect(new AgentResolver(OPTIONS).resolve('///', undefined).id).toBe('prometheus');
  });
});

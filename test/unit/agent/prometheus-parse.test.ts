import { describe, expect, it } from 'vitest';
import {
  PrometheusParseError,
  SampleLimitError,
} from '../../../agent/src/sources/prometheus/errors.js';
import { familyOf, parsePrometheusText } from '../../../agent/src/sources/prometheus/parse.js';

function parseError(text: string): PrometheusParseError {
  try {
    parsePrometheusText(text);
  } catch (error) {
    if (error instanceof PrometheusParseError) return error;
    throw error;
  }
  throw new Error('expected a PrometheusParseError');
}

const EXPOSITION = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# Finally a summary, which has a complex representation, too:
# HELP rpc_duration_seconds A summary of the RPC duration in seconds.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.99"} NaN
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
`;

describe('Function: parsePrometheusText', () => {
  it('parses the example exposition of the format documentation', () => {
    const { samples, families } = parsePrometheusText(EXPOSITION);

    expect(samples).toHaveLength(15);
    expect(samples[0]).toEqual({
      name: 'http_requests_total',
      labels: { method: 'post', code: '200' },
      value: 1027,
      timestampMs: 1_395_066_363_000,
    });
    expect(samples[2]).toEqual({
      name: 'msdos_file_access_time_seconds',
      labels: { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' },
      value: 1.458255915e9,
    });
    expect(samples[3]).toEqual({
      name: 'metric_without_timestamp_and_labels',
      labels: {},
      value: 12.47,
    });
    expect(samples[4]).toEqual({
      name: 'something_weird',
      labels: { problem: 'division by zero' },
      value: Number.POSITIVE_INFINITY,
      timestampMs: -3_982_045,
    });
    expect(samples[7]).toEqual({
      name: 'http_request_duration_seconds_bucket',
      labels: { le: '+Inf' },
      value: 144_320,
    });
    expect(samples[12]?.value).toBeNaN();
    expect(families.get('http_requests_total')).toEqual({
      name: 'http_requests_total',
      type: 'counter',
      help: 'The total number of HTTP requests.',
    });
  });

  it('resolves the family of histogram and summary samples', () => {
    const { samples, families } = parsePrometheusText(EXPOSITION);

    const types = samples.map((sample) => familyOf(sample.name, families)?.type ?? 'untyped');
    expect(types).toEqual([
      'counter',
      'counter',
      'untyped',
      'untyped',
      'untyped',
      'histogram',
      'histogram',
      'histogram',
      'histogram',
      'histogram',
      'summary',
      'summary',
      'summary',
      'summary',
      'summary',
    ]);
    expect(familyOf('rpc_duration_seconds_bucket', families)).toBeUndefined();
  });

  it.each([
    ['1', 1],
    ['-1.5', -1.5],
    ['+2', 2],
    ['1e3', 1000],
    ['1.5E-3', 0.0015],
    ['.5', 0.5],
    ['5.', 5],
    ['NaN', Number.NaN],
    ['nan', Number.NaN],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['Inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
    ['-infinity', Number.NEGATIVE_INFINITY],
  ])('reads the value %s', (token, value) => {
    expect(parsePrometheusText(`m ${token}\n`).samples[0]?.value).toBe(value);
  });

  it('accepts empty label sets, trailing commas, blanks around tokens and CRLF', () => {
    const { samples } = parsePrometheusText(
      'a{} 1\nb{x="1",} 2\nc { x = "1" , y="2" , } 3  \r\n\t d\t4\t5\n',
    );

    expect(samples).toEqual([
      { name: 'a', labels: {}, value: 1 },
      { name: 'b', labels: { x: '1' }, value: 2 },
      { name: 'c', labels: { x: '1', y: '2' }, value: 3 },
      { name: 'd', labels: {}, value: 4, timestampMs: 5 },
    ]);
  });

  it('keeps unknown escapes in label values as written, like Prometheus', () => {
    expect(parsePrometheusText('m{a="x\\ty"} 1\n').samples[0]?.labels).toEqual({ a: 'x\\ty' });
  });

  it('unescapes HELP text and ignores other comments', () => {
    const { families, samples } = parsePrometheusText(
      '# HELP m Line one\\nline two \\\\ \\"kept\\"\n#TYPE m gauge\n# just a comment\n#\n# HELP\n# EOF\nm 1\n',
    );

    expect(families.get('m')).toEqual({
      name: 'm',
      type: 'gauge',
      help: 'Line one\nline two \\ \\"kept\\"',
    });
    expect(samples).toHaveLength(1);
  });

  it('keeps HELP and TYPE of one family in either order', () => {
    const { families } = parsePrometheusText('# TYPE m summary\n# HELP m Help.\n');

    expect(families.get('m')).toEqual({ name: 'm', type: 'summary', help: 'Help.' });
  });

  it('reads quoted UTF-8 metric and label names', () => {
    const { samples } = parsePrometheusText('{"my.metric", "my.label"="v", b="w"} 1\n');

    expect(samples).toEqual([{ name: 'my.metric', labels: { 'my.label': 'v', b: 'w' }, value: 1 }]);
  });

  it.each([
    ['m{a="1",a="2"} 1', 1, 'duplicate label name "a"'],
    ['m 1 2 3', 1, 'unexpected "3" after the timestamp'],
    ['m abc', 1, 'invalid value "abc"'],
    ['m 0x1p-2', 1, 'invalid value "0x1p-2"'],
    ['m', 1, 'expected a value'],
    ['m{a="1"}', 1, 'expected a value'],
    ['m 1 1.5', 1, 'invalid timestamp "1.5"'],
    ['m 1 99999999999999999999', 1, 'timestamp out of range "99999999999999999999"'],
    ['m{a="1} 1', 1, 'unterminated label value'],
    ['m{a="1" b="2"} 1', 1, 'expected "," or "}" after label "a"'],
    ['m{a=1} 1', 1, 'expected a quoted value for label "a"'],
    ['m{a} 1', 1, 'expected "=" after label name "a"'],
    ['m{1a="x"} 1', 1, 'invalid label name at "1a="x"} 1"'],
    ['m{a="1"', 1, 'unterminated label set'],
    ['1m 1', 1, 'invalid metric name'],
    ['m-x 1', 1, 'invalid character in metric name'],
    ['{a="1"} 1', 1, 'missing metric name'],
    ['# TYPE m histgram', 1, 'invalid metric type "histgram"'],
    ['# TYPE m', 1, 'invalid metric type ""'],
    ['# HELP ', 1, 'expected a metric name after HELP'],
    ['# TYPE 1m counter', 1, 'expected a metric name after TYPE'],
    ['ok 1\n\n# comment\nbad{', 4, 'unterminated label set'],
  ])('rejects %j at line %i: %s', (text, line, reason) => {
    const error = parseError(text);

    expect(error).toMatchObject({ line, reason, name: 'PrometheusParseError' });
    expect(error.message).toBe(`line ${line}: ${reason}`);
  });

  it('fails past the sample limit', () => {
    expect(() => parsePrometheusText('a 1\nb 2\nc 3\n', { sampleLimit: 2 })).toThrow(
      SampleLimitError,
    );
    expect(parsePrometheusText('a 1\nb 2\n', { sampleLimit: 2 }).samples).toHaveLength(2);
  });

  it('returns nothing for an empty body', () => {
    expect(parsePrometheusText('')).toEqual({ families: new Map(), samples: [] });
  });
});

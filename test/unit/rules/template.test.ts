import { describe, expect, it } from 'vitest';
import { TemplateSyntaxError } from '../../../lambdas/rules/errors.js';
import {
  compileTemplate,
  type Formatter,
  formatValue,
  render,
} from '../../../lambdas/rules/template.js';

const context = {
  ruleId: 'HighCpu',
  labels: { host: 'web-1', mountpoint: '/var', value: 'label-called-value', size: '1073741824' },
  value: 0.934,
  threshold: 0.9,
};

describe('Function: render', () => {
  it.each([
    ['CPU {{ value | percent }} on {{ host }}', 'CPU 93.4% on web-1'],
    ['{{value|percent}} > {{ threshold | percent }}', '93.4% > 90%'],
    ['{{ ruleId }}: {{ labels.mountpoint }}', 'HighCpu: /var'],
    ['{{ labels.value }} / {{ value }}', 'label-called-value / 0.934'],
    ['{{ size | bytes }}', '1 GiB'],
    ['{{ missing }}', '?'],
    ['{{ host | percent }}', 'web-1'],
    ['literal \\{{ value }}', 'literal {{ value }}'],
    ['no placeholders', 'no placeholders'],
  ])('renders %j as %j', (source, expected) => {
    // Act
    const text = render(compileTemplate(source), context);

    // Assess
    expect(text).toBe(expected);
  });

  it('does not interpret template syntax inside substituted labels', () => {
    // Prepare
    const template = compileTemplate('on {{ host }}');

    // Act
    const text = render(template, { ...context, labels: { host: '{{ value }}' } });

    // Assess
    expect(text).toBe('on {{ value }}');
  });

  it('turns control characters into spaces and cuts long labels', () => {
    // Prepare
    const template = compileTemplate('[{{ name }}]');

    // Act
    const injected = render(template, { ...context, labels: { name: 'a\nb\r\u0000c\u2028d' } });
    const long = render(template, { ...context, labels: { name: 'x'.repeat(1_000) } });

    // Assess
    expect(injected).toBe('[a b  c d]');
    expect(long.length).toBeLessThanOrEqual(202);
    expect(long.endsWith('…]')).toBe(true);
  });

  it.each([
    ['{{ value', /unclosed/],
    ['{{ }}', /not a name/],
    ['{{ value | shout }}', /unknown formatter "shout"/],
    ['{{ value + 1 }}', /not a name/],
    ['{{ a.b.c }}', /not a name/],
  ])('rejects %j', (source, message) => {
    // Act & Assess
    expect(() => compileTemplate(source)).toThrow(TemplateSyntaxError);
    expect(() => compileTemplate(source)).toThrow(message);
  });
});

describe('Function: formatValue', () => {
  it.each<[number, Formatter, string]>([
    [0.5, 'percent', '50%'],
    [0.12345, 'percent', '12.3%'],
    [1, 'percent', '100%'],
    [0, 'bytes', '0 B'],
    [1_536, 'bytes', '1.5 KiB'],
    [10 * 1024 ** 3, 'bytes', '10 GiB'],
    [-8.5 * 1024 ** 3, 'bytes', '-8.5 GiB'],
    [0.25, 'duration', '250ms'],
    [45, 'duration', '45s'],
    [90, 'duration', '1m 30s'],
    [3_600 * 26, 'duration', '1d 2h'],
    [7_200, 'duration', '2h'],
    [0.1234, 'number', '0.123'],
    [12.345, 'number', '12.3'],
    [123_456.7, 'number', '123457'],
    [42, 'number', '42'],
    [Number.NaN, 'number', 'NaN'],
    [Number.POSITIVE_INFINITY, 'percent', '+Inf'],
  ])('formats %d as %s: %s', (value, format, expected) => {
    // Act & Assess
    expect(formatValue(value, format)).toBe(expected);
  });
});

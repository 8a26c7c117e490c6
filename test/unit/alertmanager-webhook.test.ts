import { describe, expect, it } from 'vitest';
import {
  severityOf,
  WebhookPayloadError,
  webhookToSignals,
} from '../../lambdas/alertmanager/webhook.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

/** A payload as Alertmanager 0.25 posts it (webhook_config, version 4). */
function payload(status: 'firing' | 'resolved') {
  return {
    receiver: 'vigil',
    status,
    alerts: [
      {
        status,
        labels: {
          alertname: 'DiskFull',
          instance: 'db-1:9100',
          job: 'node',
          severity: 'page',
          mountpoint: '/',
        },
        annotations: { summary: 'Disk / on db-1 is 97% full', runbook_url: 'https://wiki/disk' },
        startsAt: '2026-11-21T11:55:00.000Z',
        endsAt: status === 'resolved' ? '2026-11-21T11:59:30.000Z' : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=...',
        fingerprint: 'c6d8f3a1b2e4f5a6',
      },
    ],
    groupLabels: { alertname: 'DiskFull' },
    commonLabels: { alertname: 'DiskFull' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}:{alertname="DiskFull"}',
    truncatedAlerts: 0,
  };
}

describe('Function: webhookToSignals', () => {
  it('turns a firing alert into a signal with its labels, severity, summary and runbook', () => {
    expect(webhookToSignals(payload('firing'), NOW)).toEqual([
      {
        ruleId: 'alertmanager:DiskFull',
        labels: { alertname: 'DiskFull', instance: 'db-1:9100', job: 'node', mountpoint: '/' },
        severity: 'critical',
        status: 'firing',
        source: 'alertmanager',
        summary: 'Disk / on db-1 is 97% full',
        runbook: 'https://wiki/disk',
        ts: Date.parse('2026-11-21T11:55:00.000Z'),
      },
    ]);
  });

  it('times a resolved alert at its end', () => {
    const [signal] = webhookToSignals(payload('resolved'), NOW);

    expect(signal).toMatchObject({
      status: 'resolved',
      ts: Date.parse('2026-11-21T11:59:30.000Z'),
    });
  });

  it('names the offending fields of a malformed payload', () => {
    const broken = {
      ...payload('firing'),
      version: '3',
      alerts: [{ status: 'burning', labels: {} }],
    };

    expect(() => webhookToSignals(broken, NOW)).toThrow(WebhookPayloadError);
    expect(() => webhookToSignals(broken, NOW)).toThrow(/version: .*alerts\[0\]\.status: /);
  });
});

describe('Function: severityOf', () => {
  it.each([
    ['critical', 'critical'],
    ['Page', 'critical'],
    ['warning', 'warning'],
    ['none', 'info'],
    [undefined, 'warning'],
    ['whatever', 'warning'],
  ])('maps %s to %s', (label, expected) => {
    expect(severityOf(label)).toBe(expected);
  });
});

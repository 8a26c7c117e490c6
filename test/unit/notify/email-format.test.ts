import { describe, expect, it } from 'vitest';
import {
  formatEmail,
  MAX_EMAIL_SUBJECT_LENGTH,
  toSnsEmailMessage,
} from '../../../lambdas/notify/email-format.js';
import { DASHBOARD, incident, incidents, NOW, view } from './factories.js';

describe('Function: formatEmail', () => {
  it('writes one incident as a readable plain-text email', () => {
    // Act
    const { subject, body, short } = formatEmail(view());

    // Assess
    expect(subject).toBe('[Vigil] FIRING critical: HighCpu - CPU above 90% on web-1 for 5m');
    expect(body).toBe(
      [
        'Firing (critical): HighCpu',
        'CPU above 90% on web-1 for 5m',
        '',
        'Where:     agent=agent-1, host=web-1, service=api, env=prod',
        'Since:     2026-11-21 11:46 UTC (14m ago)',
        'Last seen: 2026-11-21 11:59 UTC',
        'Count:     7',
        'Value:     97.3 (threshold 90)',
        'Runbook:   https://wiki.example.com/runbooks/high-cpu',
        `Incident:  ${DASHBOARD}/incidents/01JD7Q3H2ZK8M4W9X6V5T1R0PA`,
        '',
        '-- ',
        'Vigil, group service=api. Acknowledge, silence or resolve from the dashboard or Telegram.',
        '',
      ].join('\n'),
    );
    expect(short).toBe(`${subject} ${DASHBOARD}/incidents/01JD7Q3H2ZK8M4W9X6V5T1R0PA`);
  });

  it('adds the explanation, hints and log lines of an open incident', () => {
    // Prepare
    const details = {
      explanation: 'node_load1 = 7.9, expected 0.4–1.6: level shift up',
      related: [
        { series: 'a', since: NOW, score: 0.9, note: 'disk I/O rose 4m before' },
        { series: 'b', since: NOW, score: 0.7, note: 'network errors rose 1m before' },
      ],
      logs: [{ ts: NOW, source: 'app', message: 'ERROR pool\nexhausted' }],
    };

    // Act
    const { body } = formatEmail(view({ incidents: [incident({ details })] }));

    // Assess
    expect(body).toContain(
      [
        'Why:       node_load1 = 7.9, expected 0.4–1.6: level shift up',
        'Related:   disk I/O rose 4m before',
        '           network errors rose 1m before',
      ].join('\n'),
    );
    expect(body).toContain('Log:\n  ERROR pool exhausted\n');
  });

  it('writes a resolution with its duration', () => {
    // Act
    const { subject, body } = formatEmail(
      view({ incidents: [incident({ transition: 'resolved', status: 'resolved', at: NOW })] }),
    );

    // Assess
    expect(subject).toBe('[Vigil] RESOLVED: HighCpu - CPU above 90% on web-1 for 5m');
    expect(body).toContain('Resolved: 2026-11-21 12:00 UTC (after 14m)');
  });

  it('marks a reminder', () => {
    // Act
    const { subject } = formatEmail(view({ reminder: true }));

    // Assess
    expect(subject).toBe(
      '[Vigil] REMINDER STILL FIRING critical: HighCpu - CPU above 90% on web-1 for 5m',
    );
  });

  it('numbers the incidents of a group under a headline and caps them', () => {
    // Act
    const { subject, body } = formatEmail(view({ incidents: incidents(5) }), { maxIncidents: 3 });

    // Assess
    expect(subject).toBe('[Vigil] critical: 5 firing - service=api');
    expect(body.startsWith('5 firing in service=api\n\n#1\nFiring (critical): Rule4\n')).toBe(true);
    expect(body).toContain('#3\n');
    expect(body).not.toContain('#4\n');
    expect(body).toContain(`...and 2 more (see ${DASHBOARD}/incidents)`);
  });

  it('keeps the subject ASCII, on one line and under 100 characters', () => {
    // Act
    const { subject } = formatEmail(
      view({
        incidents: [
          incident({ ruleId: 'Überlast🔥', summary: `Zeile\r\neins ${'x'.repeat(200)}` }),
        ],
      }),
    );

    // Assess
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.length).toBeLessThanOrEqual(MAX_EMAIL_SUBJECT_LENGTH);
    expect(subject.startsWith('[Vigil] FIRING critical: Uberlast - Zeile eins xxx')).toBe(true);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('keeps injected line breaks from forging fields', () => {
    // Act
    const { body } = formatEmail(
      view({
        incidents: [
          incident({
            summary: 'ok\nIncident:  https://evil.example',
            labels: { host: 'a\nRunbook: x' },
          }),
        ],
      }),
    );

    // Assess
    expect(body.split('\n').filter((line) => line.startsWith('Incident:'))).toHaveLength(1);
    expect(body).toContain('Where:     host=a Runbook: x');
    expect(body).not.toMatch(/<[a-z]/);
  });
});

describe('Function: toSnsEmailMessage', () => {
  it('builds a per-protocol SNS message', () => {
    // Prepare
    const content = formatEmail(view());

    // Act
    const message = toSnsEmailMessage(content);

    // Assess
    expect(message.MessageStructure).toBe('json');
    expect(message.Subject).toBe(content.subject);
    expect(JSON.parse(message.Message)).toEqual({ default: content.short, email: content.body });
  });
});

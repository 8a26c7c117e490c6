import { describe, expect, it } from 'vitest';
import {
  fitList,
  formatHelp,
  formatIncidentList,
  formatSilenceList,
  formatStatus,
  summarizeStatus,
} from '../../../lambdas/chatops/format.js';
import { telegramLength } from '../../../lambdas/notify/telegram-format.js';
import { incidentItem, NOW, silenceItem } from './factories.js';

describe('Function: fitList', () => {
  it('keeps every item when they fit', () => {
    // Act & Assess
    expect(fitList('H', ['a', 'b'], 100)).toBe('H\na\nb');
  });

  it('ends with "…and N more" when they do not', () => {
    // Act
    const text = fitList('H', ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)], 90);

    // Assess
    expect(text).toBe(`H\n${'a'.repeat(40)}\n<i>…and 2 more</i>`);
  });
});

describe('Function: formatIncidentList', () => {
  it('stays under Telegram limit with many long incidents', () => {
    // Prepare
    const incidents = Array.from({ length: 300 }, (_, index) =>
      incidentItem({ id: `incident-${index}`, summary: 'x'.repeat(500) }),
    );

    // Act
    const text = formatIncidentList(incidents, NOW);

    // Assess
    expect(telegramLength(text)).toBeLessThanOrEqual(4096);
    expect(text).toMatch(/<i>…and \d+ more<\/i>$/);
    expect(text).toContain('<b>300 open incidents</b>');
  });

  it('lists critical before warning and says how many are acknowledged', () => {
    // Prepare
    const incidents = [
      incidentItem({ id: 'w', ruleId: 'DiskSlow', severity: 'warning' }),
      incidentItem({ id: 'c', ruleId: 'HighCpu', severity: 'critical', status: 'acknowledged' }),
    ];

    // Act
    const text = formatIncidentList(incidents, NOW);

    // Assess
    expect(text.indexOf('HighCpu')).toBeLessThan(text.indexOf('DiskSlow'));
    expect(text).toContain('<b>2 open incidents</b> (1 acknowledged)');
    expect(text).toContain('👀 <b>HighCpu</b>');
  });

  it('says when nothing is open', () => {
    // Act & Assess
    expect(formatIncidentList([], NOW)).toBe('✅ <b>No open incidents.</b>');
  });
});

describe('Function: formatSilenceList', () => {
  it('leaves out ended silences and counts pending ones', () => {
    // Prepare
    const silences = [
      silenceItem({ id: 'old', startsAt: NOW - 7_200_000, endsAt: NOW - 1 }),
      silenceItem({ id: 'now' }),
      silenceItem({ id: 'later', startsAt: NOW + 3_600_000, endsAt: NOW + 7_200_000 }),
    ];

    // Act
    const text = formatSilenceList(silences, NOW);

    // Assess
    expect(text).toContain('<b>1 active silence</b> (1 pending)');
    expect(text).not.toContain('<code>old</code>');
    expect(text).toContain('until 2026-11-21 14:00 UTC (2h left)');
  });

  it('escapes matchers and comments', () => {
    // Prepare
    const silences = [
      silenceItem({
        matchers: [{ name: 'host', op: '=~', value: '<web>.*' }],
        comment: 'R&D <deploy>',
      }),
    ];

    // Act
    const text = formatSilenceList(silences, NOW);

    // Assess
    expect(text).toContain('<code>{host=~&quot;&lt;web&gt;.*&quot;}</code>');
    expect(text).toContain('<i>R&amp;D &lt;deploy&gt;</i>');
  });
});

describe('Function: summarizeStatus', () => {
  it('counts open, acknowledged, muted incidents and active silences', () => {
    // Prepare
    const incidents = [
      incidentItem({ severity: 'critical' }),
      incidentItem({ severity: 'warning', status: 'acknowledged' }),
      incidentItem({ severity: 'warning', silencedBy: 'sil-1' }),
      incidentItem({ status: 'resolved' }),
    ];
    const silences = [silenceItem(), silenceItem({ endsAt: NOW - 1 })];

    // Act
    const summary = summarizeStatus(incidents, silences, NOW);

    // Assess
    expect(summary).toEqual({
      open: 2,
      acknowledged: 1,
      silenced: 1,
      bySeverity: { critical: 1, warning: 2, info: 0 },
      activeSilences: 1,
    });
    expect(formatStatus(summary)).toContain('🔴 1 critical · 🟠 2 warning');
  });
});

describe('Function: formatHelp', () => {
  it('lists every command, then the ones other modules add, escaped', () => {
    // Act
    const text = formatHelp([['/run RUNBOOK TARGET', 'start a <runbook>']]);

    // Assess
    expect(text).toContain('<code>/fp ID</code> · mark an alert a false positive');
    expect(text.split('\n').filter((line) => line.startsWith('<code>/'))).toHaveLength(10);
    expect(text).toContain('<code>/run RUNBOOK TARGET</code> · start a &lt;runbook&gt;');
  });
});

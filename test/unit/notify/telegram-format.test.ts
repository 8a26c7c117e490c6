import { describe, expect, it } from 'vitest';
import { CallbackDataError, IncidentIdError } from '../../../lambdas/notify/errors.js';
import {
  encodeCallbackData,
  escapeHtml,
  formatTelegram,
  MAX_CALLBACK_DATA_BYTES,
  parseCallbackData,
  TELEGRAM_MAX_MESSAGE_LENGTH,
  telegramLength,
  toSendMessage,
} from '../../../lambdas/notify/telegram-format.js';
import { DASHBOARD, incident, incidents, NOW, view } from './factories.js';

const ALLOWED_TAGS = new Set(['b', 'i', 'code', 'pre', 'a']);

/** Every tag in the message, to check only Telegram's allowed ones appear. */
function tagsOf(html: string): string[] {
  return [...html.matchAll(/<\/?([a-zA-Z]+)[^>]*>/g)].map((match) => match[1] ?? '');
}

describe('Function: escapeHtml', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['a & b', 'a &amp; b'],
    ['&lt; already', '&amp;lt; already'],
    ['say "hi"', 'say &quot;hi&quot;'],
    ['<a href="javascript:x">', '&lt;a href=&quot;javascript:x&quot;&gt;'],
  ])('escapes %s', (text, expected) => {
    // Act & Assess
    expect(escapeHtml(text)).toBe(expected);
  });
});

describe('Function: formatTelegram', () => {
  it('renders what, where, since, value vs threshold, count and links', () => {
    // Act
    const { text, disableNotification } = formatTelegram(view());

    // Assess
    expect(text).toBe(
      [
        '🔴 <b>Firing</b> · critical · <b>HighCpu</b>',
        'CPU above 90% on web-1 for 5m',
        '',
        '<b>Where:</b> <code>agent=agent-1</code> <code>host=web-1</code> <code>service=api</code> <code>env=prod</code>',
        '<b>Since:</b> 2026-11-21 11:46 UTC (14m ago) · seen 7×, last 30s ago',
        '<b>Value:</b> <code>97.3</code> (threshold <code>90</code>)',
        '<b>Runbook:</b> <a href="https://wiki.example.com/runbooks/high-cpu">https://wiki.example.com/runbooks/high-cpu</a>',
        `<a href="${DASHBOARD}/incidents/01JD7Q3H2ZK8M4W9X6V5T1R0PA">Open in Vigil</a>`,
      ].join('\n'),
    );
    expect(disableNotification).toBe(false);
  });

  it('escapes hostile summaries, labels, rule ids and group keys', () => {
    // Prepare
    const hostile = '<script>alert("x")</script>&amp;<b>';
    const notification = view({
      groupKey: hostile,
      incidents: [
        incident({ summary: hostile, ruleId: hostile, labels: { [hostile]: hostile } }),
        incident({ id: 'other', summary: hostile, labels: { host: hostile } }),
      ],
    });

    // Act
    const grouped = formatTelegram(notification).text;
    const single = formatTelegram({
      ...notification,
      incidents: [incident({ summary: hostile, ruleId: hostile, labels: { [hostile]: hostile } })],
    }).text;

    // Assess
    for (const text of [grouped, single]) {
      expect(text).not.toContain('<script>');
      expect(text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;&lt;b&gt;');
      expect(tagsOf(text).every((tag) => ALLOWED_TAGS.has(tag))).toBe(true);
    }
  });

  it('keeps a summary with line breaks on its own line', () => {
    // Act
    const { text } = formatTelegram(
      view({ incidents: [incident({ summary: 'one\n<b>Where:</b> fake' })] }),
    );

    // Assess
    expect(text.split('\n')[1]).toBe('one &lt;b&gt;Where:&lt;/b&gt; fake');
  });

  it('shows the explanation, root-cause hints and log lines of an open incident, escaped', () => {
    // Prepare
    const details = {
      explanation: 'node_load1 = 7.9, expected 0.4–1.6 (+9.2σ): level shift up',
      related: [
        { series: 'disk', since: NOW - 240_000, score: 0.9, note: 'disk I/O rose 4m before' },
      ],
      logs: [{ ts: NOW, source: '/var/log/app.log', message: 'ERROR <pool> exhausted' }],
    };

    // Act
    const { text } = formatTelegram(view({ incidents: [incident({ details })] }));
    const resolved = formatTelegram(
      view({ incidents: [incident({ details, transition: 'resolved', status: 'resolved' })] }),
    );

    // Assess
    expect(text).toContain(`<b>Why:</b> ${details.explanation}`);
    expect(text).toContain('<b>Related:</b>\n• disk I/O rose 4m before');
    expect(text).toContain('<b>Log:</b>\n<pre>ERROR &lt;pool&gt; exhausted</pre>');
    expect(resolved.text).not.toContain('<b>Why:</b>');
  });

  it('offers a false-positive button on anomaly incidents only', () => {
    // Act
    const anomaly = formatTelegram(view({ incidents: [incident({ id: 'a', source: 'anomaly' })] }));
    const threshold = formatTelegram(view({ incidents: [incident({ source: 'threshold' })] }));

    // Assess
    expect(anomaly.replyMarkup?.inline_keyboard[0]).toContainEqual({
      text: '🙅 False positive',
      callback_data: 'fp:a',
    });
    expect(JSON.stringify(threshold.replyMarkup)).not.toContain('fp:');
    expect(parseCallbackData('fp:a')).toEqual({ action: 'falsePositive', incidentId: 'a' });
  });

  it('shows a non-web runbook as code, not as a link', () => {
    // Act
    const { text } = formatTelegram(
      view({ incidents: [incident({ runbook: 'javascript:alert(1)' })] }),
    );

    // Assess
    expect(text).toContain('<b>Runbook:</b> <code>javascript:alert(1)</code>');
    expect(text).not.toContain('href="javascript');
  });

  it('offers acknowledge, silence and resolve for an open incident', () => {
    // Act
    const { replyMarkup } = formatTelegram(view({ incidents: [incident({ id: 'abc' })] }));

    // Assess
    expect(replyMarkup).toEqual({
      inline_keyboard: [
        [
          { text: '👀 Acknowledge', callback_data: 'ack:abc' },
          { text: '🔕 Silence 1h', callback_data: 'sil:abc:1h' },
          { text: '✅ Resolve', callback_data: 'res:abc' },
        ],
      ],
    });
  });

  it.each([
    ['acknowledged', incident({ status: 'acknowledged' }), ['sil', 'res']],
    ['silenced', incident({ silencedUntil: NOW + 60_000 }), ['ack', 'res']],
    ['silence expired', incident({ silencedUntil: NOW - 1 }), ['ack', 'sil', 'res']],
  ])('offers only the buttons that make sense when %s', (_, subject, verbs) => {
    // Act
    const { replyMarkup } = formatTelegram(view({ incidents: [subject] }));

    // Assess
    const data = replyMarkup?.inline_keyboard.flat().map((button) => button.callback_data);
    expect(data?.map((value) => value?.split(':')[0])).toEqual(verbs);
  });

  it('renders a resolution quietly, with its duration and no buttons', () => {
    // Prepare
    const resolved = incident({ transition: 'resolved', status: 'resolved', at: NOW });

    // Act
    const content = formatTelegram(view({ incidents: [resolved] }));

    // Assess
    expect(content.text.split('\n')[0]).toBe('✅ <b>Resolved</b> · <b>HighCpu</b>');
    expect(content.text).toContain(
      '<b>Lasted:</b> 14m (2026-11-21 11:46 UTC → 2026-11-21 12:00 UTC) · seen 7×',
    );
    expect(content.replyMarkup).toBeUndefined();
    expect(content.disableNotification).toBe(true);
  });

  it.each([
    [{ status: 'open' as const }, '⏰ <b>Still firing</b> · critical · <b>HighCpu</b>'],
    [
      { status: 'acknowledged' as const },
      '⏰ <b>Still open (acknowledged)</b> · critical · <b>HighCpu</b>',
    ],
  ])('marks a reminder (%o)', (overrides, headline) => {
    // Act
    const { text } = formatTelegram(view({ reminder: true, incidents: [incident(overrides)] }));

    // Assess
    expect(text.split('\n')[0]).toBe(headline);
  });

  it.each([
    ['escalated', { transition: 'escalated' as const }, '⏫🔴 <b>Escalated to critical</b>'],
    [
      'acknowledged',
      {
        transition: 'acknowledged' as const,
        status: 'acknowledged' as const,
        by: 'telegram:<alice>',
      },
      '👀 <b>Acknowledged</b>',
    ],
    [
      'silenced',
      { transition: 'silenced' as const, silencedUntil: NOW + 3_600_000 },
      '🔕 <b>Silenced</b>',
    ],
    [
      'reopened',
      { transition: 'reopened' as const, severity: 'warning' as const },
      '🟠 <b>Firing again</b>',
    ],
  ])('titles a %s transition', (_, overrides, start) => {
    // Act
    const { text } = formatTelegram(view({ incidents: [incident(overrides)] }));

    // Assess
    expect(text.startsWith(start)).toBe(true);
  });

  it('says who acknowledged and until when it is silenced', () => {
    // Act
    const { text } = formatTelegram(
      view({
        incidents: [
          incident({
            transition: 'silenced',
            by: 'telegram:<alice>',
            silencedUntil: NOW + 3_600_000,
          }),
        ],
      }),
    );

    // Assess
    expect(text).toContain('<b>By:</b> telegram:&lt;alice&gt;');
    expect(text).toContain('<b>Silenced until:</b> 2026-11-21 13:00 UTC');
  });

  it('groups incidents under one headline, firing and most severe first', () => {
    // Prepare
    const notification = view({
      incidents: [
        incident({ id: 'res-1', ruleId: 'DiskFull', transition: 'resolved', status: 'resolved' }),
        incident({ id: 'warn-1', ruleId: 'SlowDisk', severity: 'warning', value: undefined }),
        incident({ id: 'crit-1', ruleId: 'HighCpu', labels: { host: 'web-1' } }),
      ],
    });

    // Act
    const { text, replyMarkup } = formatTelegram(notification);

    // Assess
    expect(text).toBe(
      [
        '🔴 <b>2 firing, 1 resolved</b> · <code>service=api</code>',
        '',
        `1. 🔴 <b>HighCpu</b> <code>host=web-1</code> · CPU above 90% on web-1 for 5m · <code>97.3</code> (threshold <code>90</code>) · 14m, 7× · <a href="${DASHBOARD}/incidents/crit-1">open</a>`,
        `2. 🟠 <b>SlowDisk</b> <code>agent=agent-1</code> <code>host=web-1</code> <code>service=api</code> <i>+1 more</i> · CPU above 90% on web-1 for 5m · 14m, 7× · <a href="${DASHBOARD}/incidents/warn-1">open</a>`,
        `3. ✅ <b>DiskFull</b> <code>agent=agent-1</code> <code>host=web-1</code> <code>service=api</code> <i>+1 more</i> · CPU above 90% on web-1 for 5m · <code>97.3</code> (threshold <code>90</code>) · resolved after 14m · <a href="${DASHBOARD}/incidents/res-1">open</a>`,
      ].join('\n'),
    );
    expect(replyMarkup?.inline_keyboard.map((row) => row.map((b) => b.callback_data))).toEqual([
      ['ack:crit-1', 'sil:crit-1:1h', 'res:crit-1'],
      ['ack:warn-1', 'sil:warn-1:1h', 'res:warn-1'],
    ]);
    expect(replyMarkup?.inline_keyboard[0]?.[0]?.text).toBe('👀 Acknowledge #1');
  });

  it('caps a large group under 4096 characters with "and N more"', () => {
    // Prepare
    const many = incidents(300, { summary: '<&>'.repeat(60) });

    // Act
    const { text, replyMarkup } = formatTelegram(view({ incidents: many }));

    // Assess
    const listed = text.split('\n').filter((line) => /^\d+\. /.test(line)).length;
    expect(telegramLength(text)).toBeLessThanOrEqual(TELEGRAM_MAX_MESSAGE_LENGTH);
    expect(listed).toBeGreaterThan(5);
    expect(text.endsWith(`<i>…and ${300 - listed} more</i>`)).toBe(true);
    expect(replyMarkup?.inline_keyboard).toHaveLength(5);
  });

  it.each([200, 500, 1_000])('fills up to a smaller limit of %i', (maxLength) => {
    // Act
    const { text } = formatTelegram(view({ incidents: incidents(50) }), { maxLength });

    // Assess
    expect(telegramLength(text)).toBeLessThanOrEqual(maxLength);
    expect(text).toMatch(/<i>…and \d+ more<\/i>$/);
  });

  it('keeps a single incident with huge fields under the limit', () => {
    // Prepare
    const huge = 'x<'.repeat(5_000);
    const labels = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`l${i}${huge}`, huge]));

    // Act
    const { text } = formatTelegram(
      view({
        incidents: [
          incident({ summary: huge, ruleId: huge, labels, runbook: `https://x/${huge}`, by: huge }),
        ],
      }),
    );

    // Assess
    expect(telegramLength(text)).toBeLessThanOrEqual(TELEGRAM_MAX_MESSAGE_LENGTH);
    expect(text).toContain('<i>+42 more</i>');
    expect(text).toContain('Open in Vigil</a>');
  });

  it('never splits an emoji when truncating', () => {
    // Act
    const { text } = formatTelegram(
      view({ incidents: [incident({ summary: '🔥'.repeat(1_000) })] }),
    );

    // Assess
    expect(text.split('\n')[1]).toMatch(/^(🔥)+…$/u);
  });

  it('refuses an open incident whose id cannot go into a button', () => {
    // Act & Assess
    expect(() => formatTelegram(view({ incidents: [incident({ id: 'a:b' })] }))).toThrow(
      IncidentIdError,
    );
  });
});

describe('Function: toSendMessage', () => {
  it('addresses a forum topic and asks for HTML without link previews', () => {
    // Prepare
    const content = formatTelegram(view({ incidents: [incident({ id: 'abc' })] }));

    // Act
    const params = toSendMessage({ chatId: -1001234567890, messageThreadId: 42 }, content);

    // Assess
    expect(params).toMatchObject({
      chatId: -1001234567890,
      messageThreadId: 42,
      parseMode: 'HTML',
      disableLinkPreview: true,
      disableNotification: false,
      text: content.text,
      replyMarkup: content.replyMarkup,
    });
  });

  it('leaves the topic out for a plain chat', () => {
    // Act
    const params = toSendMessage({ chatId: 12345 }, formatTelegram(view()));

    // Assess
    expect(params).not.toHaveProperty('messageThreadId');
  });
});

describe('Function: parseCallbackData', () => {
  it.each([
    [
      { action: 'ack' as const, incidentId: '01JD7Q3H2ZK8M4W9X6V5T1R0PA' },
      'ack:01JD7Q3H2ZK8M4W9X6V5T1R0PA',
    ],
    [{ action: 'resolve' as const, incidentId: 'a.b_c-d' }, 'res:a.b_c-d'],
    [
      {
        action: 'silence' as const,
        incidentId: 'x'.repeat(48),
        duration: '24h' as const,
        durationMs: 86_400_000,
      },
      `sil:${'x'.repeat(48)}:24h`,
    ],
    [
      {
        action: 'silence' as const,
        incidentId: 'abc',
        duration: '1h' as const,
        durationMs: 3_600_000,
      },
      'sil:abc:1h',
    ],
  ])('round-trips %o', (action, data) => {
    // Act
    const encoded = encodeCallbackData(action);

    // Assess
    expect(encoded).toBe(data);
    expect(Buffer.byteLength(encoded)).toBeLessThanOrEqual(MAX_CALLBACK_DATA_BYTES);
    expect(parseCallbackData(encoded)).toEqual(action);
  });

  it.each([
    [undefined, 'missing'],
    ['', 'missing'],
    [42, 'missing'],
    ['ack', 'no valid incident id'],
    ['ack:', 'no valid incident id'],
    ['ack:a b', 'no valid incident id'],
    ['ack:<script>', 'no valid incident id'],
    ['ack:é', 'no valid incident id'],
    [`ack:${'x'.repeat(49)}`, 'no valid incident id'],
    [`ack:${'x'.repeat(61)}`, 'longer than 64 bytes'],
    ['ack:abc:1h', 'too many parts'],
    ['res:abc:', 'too many parts'],
    ['sil:abc', 'no valid silence duration'],
    ['sil:abc:2h', 'no valid silence duration'],
    ['sil:abc:toString', 'no valid silence duration'],
    ['sil:abc:1h:x', 'too many parts'],
    ['del:abc', 'unknown action'],
    ['ACK:abc', 'unknown action'],
  ])('rejects %j', (data, reason) => {
    // Act & Assess
    expect(() => parseCallbackData(data)).toThrow(CallbackDataError);
    expect(() => parseCallbackData(data)).toThrow(reason);
  });

  it('refuses to encode an id that would not parse back', () => {
    // Act & Assess
    expect(() => encodeCallbackData({ action: 'ack', incidentId: 'x'.repeat(49) })).toThrow(
      IncidentIdError,
    );
  });
});

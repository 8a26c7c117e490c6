import { describe, expect, it } from 'vitest';
import { formatEmail } from '../../../lambdas/notify/email-format.js';
import { formatTelegram } from '../../../lambdas/notify/telegram-format.js';
import { incidents, view } from './factories.js';

describe('Messages without a dashboard URL', () => {
  it.each([
    ['one incident', view({ dashboardUrl: '' })],
    ['a group', view({ dashboardUrl: '', incidents: incidents(3) })],
  ])('carry no link for %s, in Telegram and email', (_, notification) => {
    expect(formatTelegram(notification).text).not.toContain('<a href="/');
    expect(formatTelegram(notification).text).not.toContain('Open in Vigil');
    const email = formatEmail(notification);
    expect(email.body).not.toContain('/incidents/');
    expect(email.short).toBe(email.subject);
  });

  it('link to the dashboard when it is configured', () => {
    expect(formatTelegram(view({ dashboardUrl: 'https://vigil.example.com' })).text).toContain(
      'href="https://vigil.example.com/incidents/',
    );
  });
});

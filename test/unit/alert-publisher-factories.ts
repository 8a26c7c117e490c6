import type { OutboxMessage } from '../../lambdas/stores/types.js';
import { incident, NOW } from './notify/factories.js';

export { NOW };
export const DASHBOARD = 'https://vigil.example.com';
export const FINGERPRINT = 'f1e2d3c4b5a69788';

/** An outbox message about one opened incident, to a Telegram topic and email. */
export function outboxMessage(overrides: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id: 'service=api#1.1',
    type: 'incidents',
    kind: 'first',
    createdAt: NOW,
    groupKey: 'service=api',
    groupLabels: { service: 'api' },
    incidents: [incident({ id: `${FINGERPRINT}:${NOW - 14 * 60_000}`, fingerprint: FINGERPRINT })],
    transitions: [],
    omitted: 0,
    receivers: [
      { name: 'oncall', telegram: { chatId: '-1001234567890', topicId: 42 } },
      { name: 'mail', email: { topic: 'alerts' } },
    ],
    maxSeverity: 'critical',
    attributes: { severity: 'critical', kind: 'first', service: 'api', host: 'web-1' },
    ...overrides,
  };
}

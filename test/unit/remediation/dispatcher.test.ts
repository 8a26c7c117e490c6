import { describe, expect, it } from 'vitest';
import type { NotifiedIncident } from '../../../lambdas/notify/types.js';
import { createDispatcher, executionNameOf } from '../../../lambdas/remediation/dispatcher.js';
import { RemediationMappingSchema } from '../../../lambdas/remediation/mapping.js';
import type { OutboxMessage } from '../../../lambdas/stores/types.js';

const NOW = 1_800_000_000_000;

function incident(overrides: Partial<NotifiedIncident>): NotifiedIncident {
  return {
    transition: 'opened',
    at: NOW,
    id: 'fp1:1',
    fingerprint: 'fp1',
    ruleId: 'NginxDown',
    status: 'open',
    severity: 'critical',
    summary: 'nginx down',
    labels: { instance_id: 'i-0abc1234', unit: 'nginx' },
    firstSeen: NOW,
    lastSeen: NOW,
    count: 1,
    ...overrides,
  };
}

function message(incidents: NotifiedIncident[]): OutboxMessage {
  return { incidents } as unknown as OutboxMessage;
}

function setup() {
  const started: unknown[] = [];
  const recorded: unknown[] = [];
  const warnings: unknown[] = [];
  const dispatch = createDispatcher({
    mappingOf: async (ruleId) =>
      ruleId === 'NginxDown'
        ? RemediationMappingSchema.parse({
            runbook: 'RestartService',
            target: '{{ instance_id }}',
            parameters: { unit: '{{ unit }}' },
            risk: 'low',
          })
        : undefined,
    start: async (runbook, name, input) => {
      started.push({ runbook, name, input });
      return { executionArn: `arn:exec:${name}` };
    },
    incidents: { record: async (...args) => void recorded.push(args) },
    logger: { info: () => undefined, warn: (...args: unknown[]) => void warnings.push(args) },
    now: () => NOW,
  });
  return { dispatch, started, recorded, warnings };
}

describe('Function: createDispatcher', () => {
  it('starts the mapped runbook of an opened incident and records the execution on it', async () => {
    // Prepare
    const { dispatch, started, recorded } = setup();

    // Act
    const result = await dispatch(message([incident({})]));

    // Assess
    const name = executionNameOf('fp1:1', NOW);
    expect(started).toEqual([
      {
        runbook: 'RestartService',
        name,
        input: {
          target: 'i-0abc1234',
          parameters: { unit: 'nginx' },
          risk: 'low',
          incidentId: 'fp1:1',
          requestedBy: 'rule:NginxDown',
          dryRun: false,
        },
      },
    ]);
    expect(recorded).toEqual([
      [
        'fp1:1',
        { runbook: 'RestartService', executionArn: `arn:exec:${name}`, status: 'running' },
        NOW,
      ],
    ]);
    expect(result.started).toHaveLength(1);
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('ignores resolutions, acknowledgements, reminders of firing ones and unmapped rules', async () => {
    // Prepare
    const { dispatch, started } = setup();

    // Act
    await dispatch(
      message([
        incident({ transition: 'resolved', status: 'resolved' }),
        incident({ transition: 'acknowledged', status: 'acknowledged' }),
        incident({ id: 'fp2:1', ruleId: 'HighCpu' }),
      ]),
    );

    // Assess
    expect(started).toEqual([]);
  });

  it('skips, with a warning, an incident that lacks a label the mapping needs', async () => {
    // Prepare
    const { dispatch, started, warnings } = setup();

    // Act
    const result = await dispatch(message([incident({ labels: { unit: 'nginx' } })]));

    // Assess
    expect(started).toEqual([]);
    expect(result.skipped).toEqual([
      { incidentId: 'fp1:1', reason: 'labels missing for RestartService: instance_id' },
    ]);
    expect(warnings).toHaveLength(1);
  });

  it('names the execution after the incident and transition, so a redelivery starts nothing new', () => {
    // Act & Assess
    expect(executionNameOf('fp1:1', NOW)).toBe(executionNameOf('fp1:1', NOW));
    expect(executionNameOf('fp1:1', NOW)).not.toBe(executionNameOf('fp1:1', NOW + 1));
  });
});

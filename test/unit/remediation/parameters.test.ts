import { describe, expect, it } from 'vitest';
import { DEFAULT_GUARD_LIMITS, EMPTY_GUARD_STATE } from '../../../lambdas/remediation/budget.js';
import { RemediationInputError } from '../../../lambdas/remediation/errors.js';
import { mappingInput, RemediationMappingSchema } from '../../../lambdas/remediation/mapping.js';
import { DEFAULT_RUN_SETTINGS, prepareRun } from '../../../lambdas/remediation/prepare.js';
import { parseScriptAllowList, runbookAction } from '../../../lambdas/remediation/runbooks.js';
import { parseRules } from '../../../lambdas/rules/schema.js';

const INSTANCE = 'i-0123456789abcdef0';
const SCRIPTS = parseScriptAllowList({
  'rotate-logs': {
    document: 'AWS-RunShellScript',
    commands: ['logrotate -f /etc/logrotate.d/{{ app }}'],
    parameters: { app: { pattern: '[a-z]{1,20}' } },
  },
  'custom-doc': {
    document: 'Vigil-Flush',
    parameters: { queue: { pattern: '[a-z-]+', required: false } },
  },
});

function issuesOf(act: () => unknown): readonly string[] {
  try {
    act();
  } catch (error) {
    if (error instanceof RemediationInputError) return error.issues;
    throw error;
  }
  throw new Error('no error');
}

describe('Function: runbookAction', () => {
  it('builds the restart command from a validated unit, quoted', () => {
    // Act
    const action = runbookAction('RestartService', INSTANCE, { unit: 'nginx.service' }, SCRIPTS);

    // Assess
    expect(action.ssm?.documentName).toBe('AWS-RunShellScript');
    expect(action.ssm?.parameters.commands).toEqual([
      "systemctl restart -- 'nginx.service'",
      'sleep 5',
      "systemctl is-active -- 'nginx.service'",
    ]);
  });

  it.each([
    { unit: "nginx'; rm -rf /", issue: 'parameters.unit: not a systemd unit name' },
    { unit: '--now', issue: 'parameters.unit: not a systemd unit name' },
    { unit: 'a b', issue: 'parameters.unit: not a systemd unit name' },
  ])('refuses the unit $unit', ({ unit, issue }) => {
    // Act & Assess
    expect(issuesOf(() => runbookAction('RestartService', INSTANCE, { unit }, SCRIPTS))).toContain(
      issue,
    );
  });

  it('refuses a target that is not an instance, and unknown parameters', () => {
    // Act
    const issues = issuesOf(() =>
      runbookAction('RestartService', 'web-1', { unit: 'nginx', extra: '1' }, SCRIPTS),
    );

    // Assess
    expect(issues).toEqual(['target: not an instance id (i-…, mi-…)', 'parameters: unknown extra']);
  });

  it('bounds the ECS scale-out and reads numbers from text (/run)', () => {
    // Act
    const action = runbookAction(
      'ScaleEcsService',
      'prod/api',
      { increaseBy: '2', maxCount: '6' },
      SCRIPTS,
    );

    // Assess
    expect(action.ecs).toMatchObject({
      cluster: 'prod',
      service: 'api',
      mode: 'scale',
      increaseBy: 2,
      maxCount: 6,
    });
    expect(
      issuesOf(() => runbookAction('ScaleEcsService', 'prod/api', { maxCount: 5000 }, SCRIPTS)),
    ).toEqual(['parameters.maxCount: must be at most 1000']);
  });

  it('runs only allow-listed scripts, with parameters matching their patterns', () => {
    // Act
    const action = runbookAction(
      'RunScript',
      INSTANCE,
      { script: 'rotate-logs', app: 'api' },
      SCRIPTS,
    );

    // Assess
    expect(action.ssm?.parameters.commands).toEqual(['logrotate -f /etc/logrotate.d/api']);
    expect(
      issuesOf(() =>
        runbookAction('RunScript', INSTANCE, { script: 'rotate-logs', app: 'a;b' }, SCRIPTS),
      ),
    ).toEqual(['parameters.app: must match [a-z]{1,20}']);
    expect(
      issuesOf(() => runbookAction('RunScript', INSTANCE, { script: 'nope' }, SCRIPTS))[0],
    ).toContain('"nope" is not on the allow-list (rotate-logs, custom-doc)');
  });

  it('passes a custom document its parameters as lists', () => {
    // Act
    const action = runbookAction(
      'RunScript',
      INSTANCE,
      { script: 'custom-doc', queue: 'jobs' },
      SCRIPTS,
    );

    // Assess
    expect(action.ssm).toMatchObject({
      documentName: 'Vigil-Flush',
      parameters: { queue: ['jobs'] },
    });
  });

  it('rejects an allow-list whose command uses an undeclared parameter', () => {
    // Act & Assess
    expect(() =>
      parseScriptAllowList({ bad: { document: 'AWS-RunShellScript', commands: ['echo {{ x }}'] } }),
    ).toThrow('bad.commands uses {{ x }}, which is not a parameter');
  });
});

describe('Function: prepareRun', () => {
  const context = {
    runbook: 'RestartService' as const,
    executionId: 'arn:exec',
    now: 1_800_000_000_000,
    scripts: SCRIPTS,
    settings: DEFAULT_RUN_SETTINGS,
    limits: DEFAULT_GUARD_LIMITS,
    guard: EMPTY_GUARD_STATE,
  };

  it('names every problem of a bad input with its key and zod’s message', () => {
    // Act
    const run = () =>
      prepareRun({ target: 7, incidentId: '', parameters: { unit: 'nginx' }, extra: 1 }, context);

    // Assess
    expect(run).toThrow(
      'invalid input: target: required, a string; incidentId: must be a string; (input): unknown extra',
    );
  });

  it('defaults to medium risk (approval) and returns the guard state to write for automatic runs', () => {
    // Act
    const medium = prepareRun({ target: INSTANCE, parameters: { unit: 'nginx' } }, context);
    const low = prepareRun(
      { target: INSTANCE, parameters: { unit: 'nginx' }, risk: 'low' },
      context,
    );

    // Assess
    expect(medium.run).toMatchObject({ decision: 'approval', risk: 'medium', requestedBy: 'cli' });
    expect(low.run.decision).toBe('auto');
    expect(low.guard?.autoRuns).toEqual([context.now]);
  });

  it('names every problem of the input', () => {
    // Act
    const issues = issuesOf(() =>
      prepareRun({ target: '', risk: 'urgent', dryRun: 'yes', surprise: 1 }, context),
    );

    // Assess
    expect(issues).toEqual(
      expect.arrayContaining([
        'target: must not be empty',
        'risk: must be one of low, medium, high',
        'dryRun: must be true or false',
        '(input): unknown surprise',
      ]),
    );
  });

  it('never spends the budget on a dry run', () => {
    // Act
    const result = prepareRun(
      { target: INSTANCE, parameters: { unit: 'nginx' }, risk: 'low', dryRun: true },
      {
        ...context,
        guard: {
          autoRuns: [1, 2, 3].map((n) => context.now - n),
          consecutiveFailures: 0,
          version: 3,
        },
      },
    );

    // Assess
    expect(result.run.decision).toBe('auto');
    expect(result.guard).toBeUndefined();
  });
});

describe('Function: mappingInput', () => {
  it('renders the target and parameters from the incident labels', () => {
    // Prepare
    const mapping = RemediationMappingSchema.parse({
      runbook: 'RestartService',
      target: '{{ instance_id }}',
      parameters: { unit: '{{ unit }}.service' },
      risk: 'low',
    });

    // Act
    const result = mappingInput(
      mapping,
      { instance_id: INSTANCE, unit: 'api' },
      {
        incidentId: 'fp:1',
        requestedBy: 'rule:ApiDown',
      },
    );

    // Assess
    expect(result).toEqual({
      input: {
        target: INSTANCE,
        parameters: { unit: 'api.service' },
        risk: 'low',
        incidentId: 'fp:1',
        requestedBy: 'rule:ApiDown',
        dryRun: false,
      },
    });
  });

  it('lists the labels the incident lacks', () => {
    // Prepare
    const mapping = RemediationMappingSchema.parse({
      runbook: 'ScaleEcsService',
      target: '{{ cluster }}/{{ service }}',
    });

    // Act & Assess
    expect(
      mappingInput(mapping, { cluster: 'prod' }, { incidentId: 'x', requestedBy: 'r' }),
    ).toEqual({
      missing: ['service'],
    });
  });
});

describe('Function: parseRules (remediation mapping)', () => {
  const rule = {
    id: 'NginxDown',
    metric: 'systemd_unit_active',
    op: '==',
    threshold: 0,
    severity: 'critical',
    summary: 'nginx down',
  };

  it('keeps the mapping of a rule, with its defaults', () => {
    // Act
    const [parsed] = parseRules([
      { ...rule, remediation: { runbook: 'RestartService', target: '{{ instance_id }}' } },
    ]);

    // Assess
    expect(parsed?.remediation).toEqual({
      runbook: 'RestartService',
      target: '{{ instance_id }}',
      parameters: {},
      risk: 'medium',
      dryRun: false,
    });
  });

  it('names the rule and key of a bad mapping', () => {
    // Act & Assess
    expect(() =>
      parseRules([{ ...rule, remediation: { runbook: 'Reboot', target: 'x', risk: 'low' } }]),
    ).toThrow(/NginxDown.*remediation\.runbook/s);
  });
});

import { describe, expect, it } from 'vitest';
import { remediationCommandsFrom } from '../../../local/remediation.js';

describe('Function: remediationCommandsFrom (VIGIL_REMEDIATION_COMMANDS)', () => {
  it('maps the SSM runbooks to local commands; unset means every runbook is a dry run', () => {
    // Act & Assess
    expect(remediationCommandsFrom('{"RestartService":"sudo systemctl restart nginx"}')).toEqual({
      RestartService: 'sudo systemctl restart nginx',
    });
    expect(remediationCommandsFrom(undefined)).toEqual({});
  });

  it.each([
    { raw: 'restart', message: 'is not JSON' },
    { raw: '["x"]', message: 'must be an object' },
    { raw: '{"Reboot":"x"}', message: 'unknown runbook "Reboot"' },
    { raw: '{"RunScript":""}', message: 'RunScript needs a command string' },
    { raw: '{"ScaleEcsService":"x"}', message: 'ScaleEcsService has no local command' },
  ])('refuses $raw naming the variable', ({ raw, message }) => {
    // Act & Assess
    expect(() => remediationCommandsFrom(raw)).toThrow(
      new RegExp(`VIGIL_REMEDIATION_COMMANDS.*${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambdas/shared/config.js';
import { LOCAL_ENV, readLocalConfig } from '../../local/config.js';

function rulesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-local-rules-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('Function: readLocalConfig, VIGIL_RULES_FILE', () => {
  it('resolves the rules file relative to the working directory', () => {
    // Prepare
    const cwd = rulesDir({
      'rules.yaml':
        'useDefaults: false\nrules:\n  - id: Up\n    metric: up\n    op: "=="\n    threshold: 0\n    severity: warning\n    summary: down\n',
    });

    // Act
    const config = readLocalConfig({ [LOCAL_ENV.rulesFile]: 'rules.yaml' }, cwd);

    // Assess
    expect(config.ruleDefinitions?.map((rule) => rule.id)).toEqual(['Up']);
  });

  it('leaves the rules unset without the variable', () => {
    expect(readLocalConfig({}, tmpdir()).ruleDefinitions).toBeUndefined();
  });

  it.each([
    [
      'a rule with a bad key',
      'bad.yaml',
      'rules:\n  - id: Up\n    metric: up\n    op: "=="\n    threshold: low\n    severity: warning\n    summary: down\n',
      /VIGIL_RULES_FILE: invalid rules: rule Up, key threshold/,
    ],
    [
      'a file that does not parse',
      'bad.json',
      '{"rules": [',
      /VIGIL_RULES_FILE: .*bad\.json is not valid JSON/,
    ],
    ['a missing file', 'missing.yaml', undefined, /VIGIL_RULES_FILE: no such file .*missing\.yaml/],
  ])('fails on %s with a ConfigError naming the variable', (_, name, text, message) => {
    // Prepare
    const cwd = rulesDir(text === undefined ? {} : { [name]: text });

    // Act
    const read = () => readLocalConfig({ [LOCAL_ENV.rulesFile]: name }, cwd);

    // Assess
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
  });
});

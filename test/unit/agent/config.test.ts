import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadConfig,
  mergeLayers,
  parseCommandLine,
} from '../../../agent/src/config/load.js';

async function configFile(text: string): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'vigil-agent-config-')), 'agent.yaml');
  await writeFile(file, text);
  return file;
}

async function problemsOf(promise: Promise<unknown>): Promise<readonly string[]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Function: loadConfig', () => {
  it('applies defaults to a minimal file and parses units', async () => {
    const file = await configFile(
      'endpoint: http://127.0.0.1:4800\napiKey: secret\nhost:\n  interval: 30s\nbuffer:\n  maxBytes: 64MiB\n',
    );

    const config = await loadConfig(parseCommandLine(['--config', file]), {});

    expect(config.host).toEqual({
      enabled: true,
      interval: 30_000,
      procPath: '/proc',
      rootPath: '/',
    });
    expect(config.buffer).toEqual({ maxBytes: 64 * 1_048_576, whenFull: 'block' });
    expect(config.shipping.flushInterval).toBe(1_000);
    expect(config.logs.journald.enabled).toBe('auto');
  });

  it('lets the environment override the file and flags override both', async () => {
    const file = await configFile(
      'endpoint: http://file:1\napiKey: from-file\nagent:\n  id: file-id\n',
    );

    const config = await loadConfig(
      parseCommandLine(['--config', file, '--endpoint', 'http://flag:3']),
      {
        VIGIL_AGENT_ENDPOINT: 'http://env:2',
        VIGIL_AGENT_API_KEY: 'from-env',
      },
    );

    expect(config.endpoint).toBe('http://flag:3');
    expect(config.apiKey).toBe('from-env');
    expect(config.agent.id).toBe('file-id');
  });

  it('adds list flags to the lists of the file', async () => {
    const file = await configFile(
      'endpoint: http://x\napiKey: k\nscrape:\n  - job: node\n    url: http://127.0.0.1:9100/metrics\n',
    );

    const config = await loadConfig(
      parseCommandLine([
        '-c',
        file,
        '--scrape',
        'app=http://127.0.0.1:8080/metrics',
        '--file',
        '/var/log/*.log',
      ]),
      {},
    );

    expect(config.scrape.map((target) => target.job)).toEqual(['node', 'app']);
    expect(config.logs.files).toEqual([{ paths: ['/var/log/*.log'], exclude: [], startAt: 'end' }]);
  });

  it('names every offending key at once', async () => {
    const file = await configFile(
      'endpoint: not a url\nhost:\n  interval: ten seconds\nscrape:\n  - job: node\n    url: ftp://x\nbufer: {}\n',
    );

    const problems = await problemsOf(loadConfig(parseCommandLine(['-c', file]), {}));

    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^endpoint: /),
        expect.stringMatching(/^apiKey: /),
        'host.interval: "ten seconds" is not a duration (use e.g. 500ms, 10s, 5m, 1h)',
        expect.stringMatching(/^scrape\[0\]\.url: /),
        expect.stringMatching(/^\(root\): Unrecognized key: "bufer"/),
      ]),
    );
  });

  it('reports a missing file and broken YAML with the path', async () => {
    expect(
      await problemsOf(loadConfig(parseCommandLine(['-c', '/nonexistent/agent.yaml']), {})),
    ).toEqual([expect.stringMatching(/^config file \/nonexistent\/agent.yaml: ENOENT/)]);
    const broken = await configFile('endpoint: [unclosed\n');
    expect((await problemsOf(loadConfig(parseCommandLine(['-c', broken]), {})))[0]).toMatch(
      /^config file .*agent.yaml: /,
    );
  });

  it('rejects a maximum line size above the ingest limit', async () => {
    const file = await configFile('endpoint: http://x\napiKey: k\nlogs:\n  maxLineBytes: 1MiB\n');
    expect(await problemsOf(loadConfig(parseCommandLine(['-c', file]), {}))).toEqual([
      'logs.maxLineBytes: at most 32768 bytes (the ingest limit)',
    ]);
  });
});

describe('Function: parseCommandLine', () => {
  it.each([
    [['--once'], 'once'],
    [['--check-config'], 'check-config'],
    [['--version'], 'version'],
    [['-h'], 'help'],
    [[], 'run'],
  ])('reads %o as mode %s', (argv, mode) => {
    expect(parseCommandLine(argv).mode).toBe(mode);
  });

  it('rejects an unknown flag by name', () => {
    expect(() => parseCommandLine(['--endpont', 'x'])).toThrow(/Unknown option '--endpont'/);
  });
});

describe('Function: mergeLayers', () => {
  it('merges nested keys and keeps what the layer leaves out', () => {
    expect(mergeLayers({ a: { b: 1, c: 2 }, l: [1] }, { a: { c: 3 }, l: [2] })).toEqual({
      a: { b: 1, c: 3 },
      l: [1, 2],
    });
  });
});

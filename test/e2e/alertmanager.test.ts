/**
 * A real Prometheus Alertmanager (Debian's binary) posting its webhook to the local runtime:
 * an alert fired through Alertmanager's API appears as an incident, and resolves with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import { freePort } from '../helpers/local-runtime.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { waitFor } from '../helpers/wait.js';

let dataDir: string;
let runtime: LocalRuntime;
let alertmanager: ChildProcess;
let alertmanagerUrl: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-e2e-am-'));
  runtime = await startLocalRuntime({
    dataDir: path.join(dataDir, 'vigil'),
    port: 0,
    logger: silentLogger(),
  });
  const config = path.join(dataDir, 'alertmanager.yml');
  await writeFile(
    config,
    [
      'route:',
      '  receiver: vigil',
      '  group_by: [alertname]',
      '  group_wait: 0s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: vigil',
      '    webhook_configs:',
      `      - url: ${runtime.url}/v1/alertmanager`,
      '        send_resolved: true',
      '        http_config:',
      '          authorization:',
      '            type: Bearer',
      `            credentials: ${runtime.apiKey}`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const clusterPort = await freePort();
  alertmanagerUrl = `http://127.0.0.1:${port}`;
  alertmanager = spawn(
    'prometheus-alertmanager',
    [
      `--config.file=${config}`,
      `--storage.path=${path.join(dataDir, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--cluster.listen-address=127.0.0.1:${clusterPort}`,
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  await waitFor(
    'Alertmanager to be ready',
    // Refused connections until it listens.
    () =>
      fetch(`${alertmanagerUrl}/-/ready`).then(
        (response) => response.status,
        () => 0,
      ),
    (s) => s === 200,
    30_000,
    200,
  );
});

afterAll(async () => {
  if (alertmanager && alertmanager.exitCode === null) {
    alertmanager.kill('SIGTERM');
    await once(alertmanager, 'exit');
  }
  await runtime?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function postAlert(endsAt?: string): Promise<void> {
  const alert = {
    labels: {
      alertname: 'NodeFilesystemFull',
      instance: 'db-1:9100',
      severity: 'critical',
      mountpoint: '/',
    },
    annotations: { summary: 'Filesystem / on db-1 is 98% full' },
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    ...(endsAt ? { endsAt } : {}),
  };
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([alert]),
  });
  expect(response.status).toBe(200);
}

const incidentOf = async () =>
  (await runtime.incidents.get(
    (await runtime.incidents.listOpen()).find((i) => i.ruleId === 'alertmanager:NodeFilesystemFull')
      ?.fingerprint ?? 'none',
  )) ?? null;

describe('prometheus-alertmanager → Vigil', () => {
  it('fires an incident from an Alertmanager alert and resolves it when the alert resolves', async () => {
    await postAlert();
    const incident = await waitFor(
      'the incident',
      incidentOf,
      (found) => found !== null,
      30_000,
      200,
    );
    expect(incident).toMatchObject({
      ruleId: 'alertmanager:NodeFilesystemFull',
      severity: 'critical',
      status: 'open',
      summary: 'Filesystem / on db-1 is 98% full',
    });
    expect(incident?.labels).toMatchObject({ instance: 'db-1:9100', mountpoint: '/' });

    await postAlert(new Date().toISOString());
    const resolved = await waitFor(
      'the resolution',
      async () => runtime.incidents.get(incident?.fingerprint ?? ''),
      (found) => found?.status === 'resolved',
      30_000,
      200,
    );
    expect(resolved?.resolvedBy).toBeDefined();
  });
});

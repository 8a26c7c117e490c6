import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BatchStore, logLineJson, Pipeline } from '../../../agent/src/pipeline/pipeline.js';
import { LogsBatchSchema, MetricsBatchSchema } from '../../../lambdas/shared/contracts.js';

const agent = { id: 'agent-1', hostname: 'web-1', version: '0.1.0', labels: { env: 'test' } };

/** A store that keeps each appended batch and resolves appends when told to. */
function memoryStore(autoResolve = true) {
  const batches: { kind: string; items: number; body: Record<string, unknown>; bytes: number }[] =
    [];
  const pending: (() => void)[] = [];
  const store: BatchStore = {
    append: (kind, items, payload) => {
      batches.push({ kind, items, body: JSON.parse(payload.toString()), bytes: payload.length });
      if (autoResolve) return Promise.resolve();
      return new Promise<void>((resolve) => pending.push(resolve));
    },
  };
  return { store, batches, pending };
}

const line = (n: number, size = 100) => ({
  ts: n,
  source: 'app',
  message: `${n}`.padEnd(size, '.'),
});

afterEach(() => {
  vi.useRealTimers();
});

describe('Class: Pipeline', () => {
  it('reuses a payload buffer only once the store resolved its append', async () => {
    const payloads: Buffer[] = [];
    const pending: (() => void)[] = [];
    const store: BatchStore = {
      append: (_kind, _items, payload) => {
        payloads.push(payload);
        return new Promise<void>((resolve) => pending.push(resolve));
      },
    };
    const pipeline = new Pipeline({ agent, store, batchMaxBytes: 2_000, flushInterval: 60_000 });
    const tsOf = (payload: Buffer | undefined) =>
      (JSON.parse(String(payload)) as { logs: { ts: number }[] }).logs[0]?.ts;

    // Each write is large enough to be cut at once.
    const first = pipeline.logs.write([line(1, 1_200)]);
    const second = pipeline.logs.write([line(2, 1_200)]);
    expect(payloads).toHaveLength(2);
    expect(payloads[1]?.buffer).not.toBe(payloads[0]?.buffer);

    pending[0]?.();
    await first;
    const third = pipeline.logs.write([line(3, 1_200)]);
    expect(payloads[2]?.buffer).toBe(payloads[0]?.buffer);
    expect(tsOf(payloads[2])).toBe(3);
    // The batch still being appended is untouched.
    expect(tsOf(payloads[1])).toBe(2);
    pending[1]?.();
    pending[2]?.();
    await Promise.all([second, third]);
  });

  it('cuts log batches by serialised size, each a valid envelope under the budget', async () => {
    const { store, batches } = memoryStore();
    const pipeline = new Pipeline({ agent, store, batchMaxBytes: 2_000, flushInterval: 60_000 });
    const written = Array.from({ length: 100 }, (_, n) => line(n));

    const write = pipeline.logs.write(written);
    await pipeline.flush();
    await write;

    expect(batches.length).toBeGreaterThan(5);
    for (const batch of batches) {
      expect(batch.bytes).toBeLessThanOrEqual(2_000);
      expect(LogsBatchSchema.parse(batch.body).agent).toEqual(agent);
      expect(batch.items).toBe((batch.body.logs as unknown[]).length);
    }
    expect(batches.flatMap((batch) => batch.body.logs as unknown[])).toEqual(written);
  });

  it('cuts at the count limit', async () => {
    const { store, batches } = memoryStore();
    const pipeline = new Pipeline({
      agent,
      store,
      batchMaxBytes: 900_000,
      flushInterval: 60_000,
      maxPointsPerBatch: 10,
    });
    const points = Array.from({ length: 25 }, (_, n) => ({ name: 'up', value: n, ts: n }));

    const write = pipeline.metrics.write(points);
    await pipeline.flush();
    await write;

    expect(batches.map((batch) => [batch.kind, batch.items])).toEqual([
      ['metrics', 10],
      ['metrics', 10],
      ['metrics', 5],
    ]);
    for (const batch of batches)
      expect(MetricsBatchSchema.safeParse(batch.body).success).toBe(true);
  });

  it('cuts a partial batch after flushInterval and only then resolves the write', async () => {
    vi.useFakeTimers();
    const { store, batches } = memoryStore();
    const pipeline = new Pipeline({ agent, store, batchMaxBytes: 900_000, flushInterval: 1_000 });
    let resolved = false;

    const write = pipeline.logs.write([line(1)]).then(() => {
      resolved = true;
    });
    const second = pipeline.logs.write([line(2)]);
    await vi.advanceTimersByTimeAsync(999);
    expect(batches).toHaveLength(0);
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all([write, second]);

    expect(batches.map((batch) => batch.items)).toEqual([2]);
  });

  it('sends a big write at once instead of waiting out the interval, remainder included', async () => {
    vi.useFakeTimers();
    const { store, batches } = memoryStore();
    const pipeline = new Pipeline({ agent, store, batchMaxBytes: 20_000, flushInterval: 1_000 });

    // 250 lines of ~130 bytes: one full batch and a remainder of about a third of the budget.
    const write = pipeline.logs.write(Array.from({ length: 250 }, (_, n) => line(n)));
    await vi.advanceTimersByTimeAsync(0);

    expect(batches.map((batch) => batch.items).reduce((sum, items) => sum + items, 0)).toBe(250);
    await write;
  });

  it('keeps coalescing small writes until the interval', async () => {
    vi.useFakeTimers();
    const { store, batches } = memoryStore();
    const pipeline = new Pipeline({ agent, store, batchMaxBytes: 20_000, flushInterval: 1_000 });

    const writes = [1, 2, 3].map((n) => pipeline.logs.write([line(n)]));
    await vi.advanceTimersByTimeAsync(500);
    expect(batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(500);
    await Promise.all(writes);

    expect(batches.map((batch) => batch.items)).toEqual([3]);
  });

  it('resolves a write only once every batch holding its items is stored', async () => {
    const { store, batches, pending } = memoryStore(false);
    const pipeline = new Pipeline({
      agent,
      store,
      batchMaxBytes: 900_000,
      flushInterval: 60_000,
      maxLinesPerBatch: 2,
    });
    let resolved = false;

    const write = pipeline.logs.write([line(1), line(2), line(3)]).then(() => {
      resolved = true;
    });
    const flushed = pipeline.flush();
    await Promise.resolve();
    expect(batches.map((batch) => batch.items)).toEqual([2, 1]);
    pending[0]?.();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(resolved).toBe(false);
    pending[1]?.();
    await Promise.all([write, flushed]);

    expect(resolved).toBe(true);
  });

  it('rejects the writes of a batch the store refused', async () => {
    const store: BatchStore = { append: () => Promise.reject(new Error('disk full')) };
    const pipeline = new Pipeline({ agent, store, batchMaxBytes: 900_000, flushInterval: 60_000 });

    const write = pipeline.logs.write([line(1)]);
    const flushed = pipeline.flush();

    await expect(write).rejects.toThrow('disk full');
    await expect(flushed).rejects.toThrow('disk full');
  });
});

describe('Function: logLineJson', () => {
  it('streams added lines into batches; a commit resolves once every one of them is stored', async () => {
    const { store, batches, pending } = memoryStore(false);
    const pipeline = new Pipeline({ agent, store, batchMaxBytes: 2_000, flushInterval: 60_000 });
    const writer = pipeline.logs.open();

    // 30 lines of ~130 bytes: the batcher cuts full batches while they are added.
    for (let n = 0; n < 30; n++) writer.add(line(n));
    expect(batches.length).toBe(2);
    let committed = false;
    const commit = writer.commit().then(() => {
      committed = true;
    });
    // The commit covered more than a quarter of a batch: the open one is cut too.
    expect(batches.length).toBe(3);
    pending[0]?.();
    pending[1]?.();
    await Promise.resolve();
    expect(committed).toBe(false);
    pending[2]?.();
    await commit;

    const lines = batches.flatMap((batch) => (batch.body as { logs: { ts: number }[] }).logs);
    expect(lines.map((stored) => stored.ts)).toEqual(Array.from({ length: 30 }, (_, n) => n));
    for (const batch of batches) expect(() => LogsBatchSchema.parse(batch.body)).not.toThrow();
  });

  it('cuts a small commit at once only when asked to, and a reset forgets what it followed', async () => {
    vi.useFakeTimers();
    const { store, batches } = memoryStore();
    const pipeline = new Pipeline({ agent, store, batchMaxBytes: 100_000, flushInterval: 1_000 });
    const writer = pipeline.logs.open();

    writer.add(line(1));
    const small = writer.commit();
    expect(batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    await small;
    expect(batches).toHaveLength(1);

    writer.add(line(2));
    await writer.commit({ now: true });
    expect(batches).toHaveLength(2);

    writer.add(line(3));
    writer.reset();
    // Nothing left to wait for; the line itself is still stored with the next batch.
    await writer.commit();
    await pipeline.flush();
    expect(batches.map((batch) => batch.items)).toEqual([1, 1, 1]);
  });

  it('serialises exactly as JSON.stringify, escapes and non-ASCII included', () => {
    const messages = [
      'plain GET /x 200',
      'quote " and backslash \\ inside',
      'tab\tnewline\ncarriage\r control \u0001 \u001f del \u007f',
      'é ü 日本語 emoji 😀 and U+FFFD \ufffd',
      'lone surrogates \ud800 and \udfff',
      '',
      '</script> \u2028 \u2029',
    ];
    for (const message of messages) {
      for (const extra of [
        {},
        { level: 'error' as const },
        { level: 'warn' as const, attrs: { truncated: 'true', 'k"ey': 'v\\al' } },
      ]) {
        const line = { ts: 1_763_726_400_123, source: '/var/log/"app"/é.log', message, ...extra };
        expect(logLineJson(line)).toBe(JSON.stringify(line));
        expect(logLineJson({ ...line, source: 'other' })).toBe(
          JSON.stringify({ ...line, source: 'other' }),
        );
      }
    }
  });

  it('falls back to JSON.stringify for values outside the contract', () => {
    const odd = { ts: Number.NaN, source: 's', message: 'm' };
    expect(logLineJson(odd)).toBe(JSON.stringify(odd));
  });
});

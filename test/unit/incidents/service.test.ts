import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ALERTING_CONFIG, parseAlertingConfig } from '../../../lambdas/incidents/config.js';
import { IncidentConfigError } from '../../../lambdas/incidents/errors.js';
import { fingerprint } from '../../../lambdas/incidents/fingerprint.js';
import type { Incident } from '../../../lambdas/incidents/incident.js';
import { IncidentService } from '../../../lambdas/incidents/service.js';
import {
  IncidentNotFoundError,
  VersionConflictError,
} from '../../../lambdas/incidents/service-errors.js';
import type { Signal } from '../../../lambdas/incidents/types.js';
import type {
  GroupStore,
  IncidentStore,
  Outbox,
  OutboxMessage,
  SilenceStore,
  StoredGroup,
  StoredIncident,
  StoredSilence,
} from '../../../lambdas/stores/types.js';
import { HOUR, MINUTE, SECOND, signalFactory, T0 } from './factories.js';

// ---- In-memory doubles with the DynamoDB stores' semantics (conditional versions, copies) ----

const copy = <T>(value: T): T => structuredClone(value);

class MemoryIncidentStore implements IncidentStore {
  readonly heads = new Map<string, StoredIncident>();
  readonly history = new Map<string, Incident>();
  conflicts = 0;
  puts = 0;
  /** Runs once before the next put's version check: another writer racing this one. */
  beforePut?: () => Promise<void>;

  async get(fp: string) {
    const head = this.heads.get(fp);
    return head && copy(head);
  }
  async put(record: StoredIncident) {
    const hook = this.beforePut;
    this.beforePut = undefined;
    await hook?.();
    this.puts++;
    const current = this.heads.get(record.incident.fingerprint);
    if ((current?.incident.version ?? 0) !== record.incident.version - 1) {
      this.conflicts++;
      throw new VersionConflictError('incidents', record.incident.fingerprint, 0);
    }
    this.heads.set(record.incident.fingerprint, copy(record));
  }
  async markDelivered(fp: string, version: number) {
    const head = this.heads.get(fp);
    if (head?.incident.version !== version) return false;
    head.undelivered = [];
    return true;
  }
  async archive(incident: Incident) {
    this.history.set(incident.id, copy(incident));
  }
  async findById(id: string) {
    const head = [...this.heads.values()].find((h) => h.incident.id === id);
    return copy(head?.incident ?? this.history.get(id));
  }
  async listActive() {
    return [...this.heads.values()]
      .filter((h) => h.incident.status !== 'resolved' || h.undelivered.length > 0)
      .map(copy);
  }
  async listActiveByAgent(agent: string) {
    return [...this.heads.values()]
      .map((h) => h.incident)
      .filter((i) => i.status !== 'resolved' && (i.labels.agent ?? '') === agent)
      .map(copy);
  }
}

class MemoryGroupStore implements GroupStore {
  readonly items = new Map<string, StoredGroup>();
  async get(key: string): Promise<StoredGroup> {
    const item = this.items.get(key);
    return item
      ? copy(item)
      : { key, group: undefined, version: 0, epoch: 0, outgoing: [], wakeAt: undefined };
  }
  async put(record: StoredGroup) {
    if ((this.items.get(record.key)?.version ?? 0) !== record.version - 1) {
      throw new VersionConflictError('groups', record.key, record.version - 1);
    }
    this.items.set(record.key, copy(record));
  }
  async markFlushed(key: string, version: number, wakeAt: number | undefined) {
    const item = this.items.get(key);
    if (item?.version !== version) return false;
    item.outgoing = [];
    item.wakeAt = wakeAt;
    return true;
  }
  async listDue(now: number) {
    return [...this.items.values()]
      .filter((i) => i.wakeAt !== undefined && i.wakeAt <= now)
      .sort((a, b) => (a.wakeAt ?? 0) - (b.wakeAt ?? 0))
      .map((i) => i.key);
  }
}

class MemorySilenceStore implements SilenceStore {
  readonly items = new Map<string, StoredSilence>();
  async get(id: string) {
    return copy(this.items.get(id));
  }
  async list() {
    return [...this.items.values()].map(copy);
  }
  async put(record: StoredSilence) {
    if ((this.items.get(record.silence.id)?.version ?? 0) !== record.version - 1) {
      throw new VersionConflictError('silences', record.silence.id, record.version - 1);
    }
    this.items.set(record.silence.id, copy(record));
  }
}

class MemoryOutbox implements Outbox {
  readonly messages = new Map<string, OutboxMessage>();
  /** Set to make the next enqueue fail as a transient AWS error would. */
  failNext?: Error;
  async enqueue(message: OutboxMessage) {
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    if (this.messages.has(message.id)) return false;
    this.messages.set(message.id, copy(message));
    return true;
  }
  get all(): OutboxMessage[] {
    return [...this.messages.values()];
  }
}

// ---- Fixtures ----

let incidents: MemoryIncidentStore;
let groups: MemoryGroupStore;
let silences: MemorySilenceStore;
let outbox: MemoryOutbox;
let service: IncidentService;

function newService(config = DEFAULT_ALERTING_CONFIG): IncidentService {
  return new IncidentService({
    incidents,
    groups,
    silences,
    outbox,
    config,
    newId: () => 'sil-1',
    sleep: async () => {},
  });
}

beforeEach(() => {
  incidents = new MemoryIncidentStore();
  groups = new MemoryGroupStore();
  silences = new MemorySilenceStore();
  outbox = new MemoryOutbox();
  service = newService();
});

const fpOf = (s: Signal) => fingerprint(s.ruleId, s.labels);
const head = (s: Signal) => incidents.heads.get(fpOf(s))?.incident;

describe('Class: IncidentService', () => {
  describe('Method: processSignals', () => {
    it('opens an incident for a firing signal and enqueues one notification with what a notifier needs', async () => {
      // Prepare
      const signal = signalFactory({ labels: { agent: 'web-1', service: 'api', host: 'h1' } });

      // Act
      const result = await service.processSignals([signal], T0);

      // Assess
      expect(head(signal)).toMatchObject({ status: 'open', count: 1, version: 1 });
      expect(incidents.heads.get(fpOf(signal))?.undelivered).toEqual([]);
      expect(result.transitions.map((t) => t.transition)).toEqual(['opened']);
      expect(outbox.all).toHaveLength(1);
      const [message] = outbox.all;
      expect(message).toMatchObject({
        id: '{agent="web-1"}#1.1',
        type: 'incidents',
        kind: 'first',
        maxSeverity: 'warning',
        receivers: [{ name: 'default', email: { topic: 'alerts' } }],
        attributes: { severity: 'warning', kind: 'first', service: 'api', host: 'h1' },
      });
      expect(message?.incidents[0]).toMatchObject({
        transition: 'opened',
        ruleId: 'HighCpu',
        status: 'open',
        labels: { agent: 'web-1', service: 'api', host: 'h1' },
        value: 95,
        threshold: 90,
        firstSeen: T0,
        lastSeen: T0,
        count: 1,
        summary: signal.summary,
      });
      expect(result.notifications.map((n) => n.id)).toEqual([message?.id]);
    });

    it('records nothing new for duplicate signals, in one batch or a retried one', async () => {
      // Prepare
      const signal = signalFactory();
      await service.processSignals([signal, signal], T0);
      const puts = incidents.puts;

      // Act
      const retried = await service.processSignals([signal, { ...signal }], T0 + SECOND);

      // Assess
      expect(retried).toEqual({ transitions: [], suppressed: [], notifications: [] });
      expect(incidents.puts).toBe(puts);
      expect(head(signal)).toMatchObject({ count: 1, version: 1 });
      expect(outbox.all).toHaveLength(1);
    });

    it('sends one message for the first of 30 incidents of an agent and batches the rest', async () => {
      // Prepare
      const signals = Array.from({ length: 30 }, (_, i) =>
        signalFactory({ ruleId: `Rule${i}`, ts: T0 + i * 100 }),
      );

      // Act
      await service.processSignals(signals, T0 + 3 * SECOND);
      const early = await service.tickGroups(T0 + 10 * SECOND);
      const ticked = await service.tickGroups(T0 + 34 * SECOND);

      // Assess
      expect(early.notifications).toEqual([]);
      expect(outbox.all.map((m) => m.kind)).toEqual(['first', 'batch']);
      const batch = ticked.notifications[0];
      expect(batch?.transitions).toHaveLength(29);
      expect(batch?.incidents).toHaveLength(30);
      expect(batch?.id).toBe('{agent="web-1"}#1.2');
    });

    it('records a silenced incident instead of notifying it', async () => {
      // Prepare
      await service.createSilence(
        {
          matchers: 'agent="web-1"',
          startsAt: T0 - MINUTE,
          endsAt: T0 + HOUR,
          createdBy: 'telegram:ana',
          comment: 'maintenance',
        },
        T0 - MINUTE,
      );
      const signal = signalFactory();

      // Act
      const result = await service.processSignals([signal], T0);

      // Assess
      expect(outbox.all).toEqual([]);
      expect(head(signal)).toMatchObject({ status: 'open', silencedBy: 'sil-1' });
      expect(head(signal)?.audit.map((e) => e.transition)).toEqual(['opened', 'silenced']);
      expect(result.suppressed).toEqual([
        { incidentId: head(signal)?.id, transition: 'opened', reason: 'silenced by sil-1' },
      ]);
    });

    it('announces a still-firing incident again when its silence is expired', async () => {
      // Prepare
      await service.createSilence(
        {
          matchers: 'agent="web-1"',
          startsAt: T0,
          endsAt: T0 + HOUR,
          createdBy: 'dashboard:bo',
          comment: 'reboot',
        },
        T0,
      );
      const signal = signalFactory();
      await service.processSignals([signal], T0);

      // Act
      await service.expireSilence('sil-1', T0 + 10 * MINUTE);

      // Assess
      expect(head(signal)?.silencedBy).toBeUndefined();
      expect(outbox.all).toHaveLength(1);
      expect(outbox.all[0]?.transitions[0]).toMatchObject({
        transition: 'reopened',
        note: 'silence sil-1 ended: still firing',
      });
    });

    it('suppresses what an AgentDown of the same agent inhibits, with the reason in the audit', async () => {
      // Prepare
      const down = signalFactory({
        ruleId: 'AgentDown',
        labels: { agent: 'web-1', host: 'h1' },
        severity: 'critical',
        source: 'heartbeat',
      });
      const cpu = signalFactory({ ts: T0 + SECOND });
      const otherAgent = signalFactory({ labels: { agent: 'web-2' }, ts: T0 + SECOND });

      // Act
      const result = await service.processSignals([down, cpu, otherAgent], T0 + SECOND);

      // Assess
      expect(result.suppressed).toEqual([
        expect.objectContaining({
          transition: 'opened',
          reason: expect.stringContaining('inhibited by AgentDown (host-down'),
        }),
      ]);
      expect(head(cpu)?.audit.at(-1)).toMatchObject({
        transition: 'commented',
        note: expect.stringContaining('opened not notified: inhibited by AgentDown'),
      });
      expect(outbox.all.map((m) => m.incidents.map((i) => i.ruleId))).toEqual([
        ['AgentDown'],
        ['HighCpu'],
      ]);
    });

    it('re-reads and re-applies when another writer updated the incident in between', async () => {
      // Prepare
      await service.processSignals([signalFactory()], T0);
      const other = newService();
      incidents.beforePut = async () => {
        await other.processSignals([signalFactory({ ts: T0 + MINUTE })], T0 + MINUTE);
      };

      // Act
      await service.processSignals([signalFactory({ ts: T0 + 2 * MINUTE, value: 99 })], T0);

      // Assess
      expect(incidents.conflicts).toBe(1);
      expect(head(signalFactory())).toMatchObject({
        count: 3,
        version: 3,
        value: 99,
        lastSeen: T0 + 2 * MINUTE,
      });
    });

    it('gives up after the configured attempts when it keeps losing', async () => {
      // Prepare
      const config = parseAlertingConfig({ maxConflictRetries: 2 });
      const contended = newService(config);
      await contended.processSignals([signalFactory()], T0);
      let bump = 0;
      const race = async () => {
        const current = incidents.heads.get(fpOf(signalFactory())) as StoredIncident;
        current.incident = { ...current.incident, version: current.incident.version + 1 };
        if (++bump < 5) incidents.beforePut = race;
      };
      incidents.beforePut = race;

      // Act & Assess
      await expect(
        contended.processSignals([signalFactory({ ts: T0 + MINUTE })], T0 + MINUTE),
      ).rejects.toBeInstanceOf(VersionConflictError);
    });

    it('never enqueues a notification twice when a batch is retried after a failure', async () => {
      // Prepare
      const signal = signalFactory();
      outbox.failNext = new Error('throttled');

      // Act
      await expect(service.processSignals([signal], T0)).rejects.toThrow('throttled');
      expect(incidents.heads.get(fpOf(signal))?.undelivered).toHaveLength(1);
      await service.processSignals([signal], T0 + SECOND);
      await service.processSignals([signal], T0 + 2 * SECOND);

      // Assess
      expect(outbox.all).toHaveLength(1);
      expect(outbox.all[0]?.kind).toBe('first');
      expect(incidents.heads.get(fpOf(signal))?.undelivered).toEqual([]);
      expect(groups.items.get('{agent="web-1"}')?.outgoing).toEqual([]);
    });

    it('sends what a crash left in a group from the scheduled tick', async () => {
      // Prepare: the group write succeeded, the outbox did not.
      outbox.failNext = new Error('socket hang up');
      await expect(service.processSignals([signalFactory()], T0)).rejects.toThrow();

      // Act
      const ticked = await service.tickGroups(T0 + SECOND);

      // Assess
      expect(ticked.notifications.map((n) => n.kind)).toEqual(['first']);
      expect(outbox.all).toHaveLength(1);
    });

    it('gives a group that emptied and started again new notification ids', async () => {
      // Prepare
      const signal = signalFactory();
      await service.processSignals([signal], T0);
      await service.processSignals(
        [{ ...signal, status: 'resolved', ts: T0 + MINUTE }],
        T0 + MINUTE,
      );
      await service.tickGroups(T0 + 2 * MINUTE);

      // Act
      await service.processSignals(
        [signalFactory({ ruleId: 'DiskFull', ts: T0 + 3 * MINUTE })],
        T0 + 3 * MINUTE,
      );

      // Assess
      expect(outbox.all.map((m) => [m.id, m.kind])).toEqual([
        ['{agent="web-1"}#1.1', 'first'],
        ['{agent="web-1"}#1.2', 'batch'],
        ['{agent="web-1"}#2.1', 'first'],
      ]);
    });

    it('archives a resolved incident that a new one replaces', async () => {
      // Prepare
      const signal = signalFactory();
      await service.processSignals(
        [signal, { ...signal, status: 'resolved', ts: T0 + MINUTE }],
        T0,
      );

      // Act
      await service.processSignals([{ ...signal, ts: T0 + 3 * HOUR }], T0 + 3 * HOUR);

      // Assess
      expect(incidents.history.get(`${fpOf(signal)}:${T0}`)).toMatchObject({ status: 'resolved' });
      expect(head(signal)).toMatchObject({ id: `${fpOf(signal)}:${T0 + 3 * HOUR}`, version: 3 });
    });
  });

  describe('Method: acknowledge', () => {
    it('stops the reminders of an acknowledged incident', async () => {
      // Prepare
      service = newService(parseAlertingConfig({ autoResolveAfterMs: 0 }));
      const acked = signalFactory();
      const ignored = signalFactory({ labels: { agent: 'web-2' } });
      await service.processSignals([acked, ignored], T0);

      // Act
      const outcome = await service.acknowledge(
        head(acked)?.id as string,
        'telegram:ana',
        T0 + MINUTE,
      );
      const ticked = await service.tickGroups(T0 + 4 * HOUR + MINUTE);

      // Assess
      expect(outcome.incident).toMatchObject({
        status: 'acknowledged',
        acknowledgedBy: 'telegram:ana',
      });
      expect(outcome.notifications.map((n) => n.incidents[0]?.transition)).toEqual([
        'acknowledged',
      ]);
      expect(ticked.notifications.map((n) => [n.kind, n.groupKey])).toEqual([
        ['reminder', '{agent="web-2"}'],
      ]);
    });

    it('accepts a fingerprint and fails for an unknown incident', async () => {
      // Prepare
      const signal = signalFactory();
      await service.processSignals([signal], T0);

      // Act
      const outcome = await service.resolve(fpOf(signal), 'dashboard:bo', T0 + MINUTE, 'fixed');

      // Assess
      expect(outcome.incident).toMatchObject({ status: 'resolved', resolvedBy: 'dashboard:bo' });
      await expect(service.acknowledge('nope', 'x', T0)).rejects.toBeInstanceOf(
        IncidentNotFoundError,
      );
    });
  });

  describe('Method: tickGroups', () => {
    it('auto-resolves incidents nothing was heard of for the quiet period', async () => {
      // Prepare
      const signal = signalFactory();
      await service.processSignals([signal], T0);

      // Act
      const ticked = await service.tickGroups(T0 + 3 * HOUR + MINUTE);

      // Assess
      expect(ticked.autoResolved).toBe(1);
      expect(head(signal)).toMatchObject({ status: 'resolved', resolvedBy: 'system' });
      expect(ticked.notifications.map((n) => n.transitions[0]?.transition)).toEqual(['resolved']);
    });

    it('reminds once that a silence ends soon', async () => {
      // Prepare
      await service.createSilence(
        {
          matchers: 'service="db"',
          startsAt: T0,
          endsAt: T0 + HOUR,
          createdBy: 'telegram:ana',
          comment: 'migration',
        },
        T0,
      );

      // Act
      const early = await service.tickGroups(T0 + 30 * MINUTE);
      const due = await service.tickGroups(T0 + 50 * MINUTE);
      const again = await service.tickGroups(T0 + 51 * MINUTE);

      // Assess
      expect(early.notifications).toEqual([]);
      expect(due.notifications).toEqual([
        expect.objectContaining({
          id: `silence#sil-1#${T0 + HOUR}`,
          kind: 'silence-expiring',
          receivers: [expect.objectContaining({ name: 'default' })],
        }),
      ]);
      expect(again.notifications).toEqual([]);
      expect(silences.items.get('sil-1')?.silence.remindedFor).toBe(T0 + HOUR);
    });
  });

  describe('Method: listOpen / listSilences', () => {
    it('lists firing incidents and silences', async () => {
      // Prepare
      const a = signalFactory();
      const b = signalFactory({ labels: { agent: 'web-2' }, ts: T0 + SECOND });
      await service.processSignals([a, b, { ...a, status: 'resolved', ts: T0 + 2 * SECOND }], T0);
      await service.createSilence(
        { matchers: 'agent="x"', startsAt: T0, endsAt: T0 + HOUR, createdBy: 'a', comment: 'c' },
        T0,
      );

      // Act & Assess
      expect((await service.listOpen()).map((i) => i.labels.agent)).toEqual(['web-2']);
      expect((await service.listSilences()).map((s) => s.id)).toEqual(['sil-1']);
    });
  });
});

describe('Function: parseAlertingConfig', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_ALERTING_CONFIG.grouping).toEqual({
      groupBy: ['agent'],
      groupWaitMs: 30_000,
      groupIntervalMs: 300_000,
      repeatIntervalMs: 4 * HOUR,
      maxPending: 100,
    });
    expect(DEFAULT_ALERTING_CONFIG.inhibitRules.map((r) => r.name)).toEqual([
      'host-down',
      'critical-over-warning',
    ]);
    expect(DEFAULT_ALERTING_CONFIG.routing.defaultReceiver).toBe('default');
  });

  it('takes durations as text and the default chat from options', () => {
    const config = parseAlertingConfig(
      { groupWaitMs: '1m', repeatIntervalMs: '2h' },
      {
        telegramChatId: '-100123',
      },
    );
    expect(config.grouping.groupWaitMs).toBe(MINUTE);
    expect(config.grouping.repeatIntervalMs).toBe(2 * HOUR);
    expect(config.routing.receivers[0]?.telegram).toEqual({ chatId: '-100123' });
  });

  it('names the offending key', () => {
    expect(() => parseAlertingConfig({ groupWaitMs: 'soon' })).toThrow(IncidentConfigError);
    expect(() => parseAlertingConfig({ groupWaitMs: 'soon' })).toThrow(/groupWaitMs/);
  });
});

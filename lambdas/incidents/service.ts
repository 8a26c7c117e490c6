/**
 * The incident service: the pure lifecycle, silences, inhibition and grouping, run against
 * injected stores with the discipline that makes at-least-once delivery safe.
 *
 * - Every item (incident head, group, silence) is written with a condition on its `version`; a
 *   lost race re-reads and re-applies (bounded), so concurrent Lambdas and retried batches never
 *   open two incidents for one fingerprint nor count a signal twice.
 * - Two attributes act as transactional outboxes (dynalite has no transactions): an incident
 *   head keeps the transitions it has not handed to grouping yet (`undelivered`), a group keeps
 *   the notifications it decided and has not confirmed in the outbox yet (`outgoing`). Each is
 *   written with the change that produced it and cleared after the next step succeeded, so a
 *   crash in between repeats the step instead of losing it; grouping ignores a transition it has
 *   seen and the outbox a message id it has, so repeating is harmless.
 * - Notification ids are `<group key>#<epoch>.<sequence>`: fixed by the group write that won,
 *   unique across a group's incarnations, the publisher's dedup id.
 */
import type {
  GroupStore,
  IncidentStore,
  Outbox,
  OutboxMessage,
  SilenceStore,
  StoredGroup,
  StoredIncident,
} from '../stores/types.js';
import { type AlertingConfig, DEFAULT_ALERTING_CONFIG } from './config.js';
import { fingerprint } from './fingerprint.js';
import {
  emptyGroupState,
  type GroupingResult,
  type GroupState,
  type Notification,
  nextWakeUp,
  onTransition,
  tick,
} from './grouping.js';
import {
  type ActionResult,
  acknowledge,
  applySignal,
  autoResolve,
  type Incident,
  type IncidentRemediation,
  type IncidentTransition,
  matchLabels,
  resolve,
  type SignalResult,
  setRemediation,
  setSilenced,
  settleFlapping,
} from './incident.js';
import { isInhibited } from './inhibition.js';
import {
  notificationId,
  notificationMessage,
  sequenceOf,
  silenceReminderMessage,
} from './outbox-message.js';
import {
  IncidentNotFoundError,
  SilenceNotFoundError,
  VersionConflictError,
} from './service-errors.js';
import {
  activeSilence,
  dueReminders,
  expireSilence,
  markReminded,
  type Silence,
  validateSilence,
} from './silences.js';
import type { AuditEvent, Signal, Transition } from './types.js';

export interface IncidentServiceDeps {
  readonly incidents: IncidentStore;
  readonly groups: GroupStore;
  readonly silences: SilenceStore;
  readonly outbox: Outbox;
  /** @default DEFAULT_ALERTING_CONFIG */
  readonly config?: AlertingConfig;
  /** Ids of new silences. @default crypto.randomUUID */
  readonly newId?: () => string;
  /** Backoff between conflict retries. @default a jittered sleep of 5-50 ms per attempt */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A transition that was recorded but not notified, and why. */
export interface Suppressed {
  incidentId: string;
  transition: Transition;
  reason: string;
}

export interface ServiceResult {
  /** Transitions recorded by this call (notified or not). */
  transitions: IncidentTransition[];
  suppressed: Suppressed[];
  /** Outbox messages this call added (not those a previous attempt already had). */
  notifications: OutboxMessage[];
}

export interface ActionOutcome extends ServiceResult {
  incident: Incident;
  changed: boolean;
}

export interface TickResult extends ServiceResult {
  autoResolved: number;
  groupsTicked: number;
}

export interface NewSilence {
  id?: string;
  matchers: unknown;
  startsAt: number | string;
  endsAt: number | string;
  createdBy: string;
  comment: string;
}

/** What a step decides for the head it is given (undefined when there is none). */
type Step = (current: Incident | undefined) => SignalResult;

const INHIBITABLE: ReadonlySet<Transition> = new Set(['opened', 'reopened', 'escalated']);
const UNDELIVERED_LIMIT = 200;

/** State shared by the steps of one call: what this call read and wrote, and what is owed. */
class Run {
  readonly heads = new Map<string, StoredIncident>();
  silences?: Silence[];
  readonly firingByAgent = new Map<string, Map<string, Incident>>();
  firingAll?: Map<string, Incident>;
  /** Heads whose undelivered transitions go to grouping at the end, at the version written. */
  readonly owed = new Map<string, { version: number; transitions: IncidentTransition[] }>();
  readonly result: ServiceResult = { transitions: [], suppressed: [], notifications: [] };

  remember(record: StoredIncident): void {
    const { incident } = record;
    this.heads.set(incident.fingerprint, record);
    const firing = incident.status !== 'resolved';
    for (const cache of [this.firingAll, this.firingByAgent.get(incident.labels.agent ?? '')]) {
      if (!cache) continue;
      if (firing) cache.set(incident.fingerprint, incident);
      else cache.delete(incident.fingerprint);
    }
  }

  owe(record: StoredIncident): void {
    if (record.undelivered.length === 0) return;
    this.owed.set(record.incident.fingerprint, {
      version: record.incident.version,
      transitions: record.undelivered,
    });
  }
}

function fingerprintOf(ref: string): { fingerprint: string; id?: string } {
  const colon = ref.indexOf(':');
  return colon < 0 ? { fingerprint: ref } : { fingerprint: ref.slice(0, colon), id: ref };
}

function withComment(incident: Incident, note: string, at: number, limit: number): Incident {
  const event: AuditEvent = { at, transition: 'commented', by: 'system', note };
  const audit = [...incident.audit, event];
  return { ...incident, audit: audit.length > limit ? audit.slice(audit.length - limit) : audit };
}

/** The transition a still-firing incident makes when the silence that muted it ends. */
function unmuted(incident: Incident, silenceId: string, at: number): IncidentTransition {
  return {
    incidentId: incident.id,
    fingerprint: incident.fingerprint,
    ruleId: incident.ruleId,
    labels: incident.labels,
    groupKey: incident.groupKey,
    summary: incident.summary,
    transition: 'reopened',
    at,
    by: 'system',
    status: incident.status,
    severity: incident.severity,
    note: `silence ${silenceId} ended: still firing`,
  };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Incidents from signals and people, notifications through grouping into the outbox.
 *
 * @example
 * const service = new IncidentService({ incidents, groups, silences, outbox, config });
 * await service.processSignals(signals, Date.now());   // detectors
 * await service.tickGroups(Date.now());                // every minute
 * await service.acknowledge(incidentId, 'telegram:ana', Date.now());
 */
export class IncidentService {
  private readonly config: AlertingConfig;
  private readonly newId: () => string;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Inhibition can look at one agent's incidents only when every rule compares `agent`. */
  private readonly inhibitByAgent: boolean;

  constructor(private readonly deps: IncidentServiceDeps) {
    this.config = deps.config ?? DEFAULT_ALERTING_CONFIG;
    this.newId = deps.newId ?? (() => crypto.randomUUID());
    this.sleep = deps.sleep ?? defaultSleep;
    this.inhibitByAgent = this.config.inhibitRules.every((rule) => rule.equal.includes('agent'));
  }

  /**
   * Applies signals in order (so per fingerprint too), then hands the transitions to grouping
   * and the due notifications to the outbox. Safe to call again with the same signals.
   */
  async processSignals(signals: readonly Signal[], now: number): Promise<ServiceResult> {
    const run = new Run();
    const policy = this.config.incident;
    for (const signal of signals) {
      await this.update(
        run,
        fingerprint(signal.ruleId, signal.labels, policy.fingerprint),
        now,
        (current) => applySignal(current, signal, policy, now),
      );
    }
    await this.deliver(run, now);
    return run.result;
  }

  /** The incident a reference names (an id or a fingerprint), archived ones included. */
  async get(ref: string): Promise<Incident | undefined> {
    const { fingerprint, id } = fingerprintOf(ref);
    const head = (await this.deps.incidents.get(fingerprint))?.incident;
    if (head && (id === undefined || head.id === id)) return head;
    return id === undefined ? undefined : this.deps.incidents.findById(id);
  }

  /** Acknowledges by incident id or fingerprint: reminders stop. */
  acknowledge(ref: string, by: string, now: number): Promise<ActionOutcome> {
    return this.act(ref, now, (incident) => acknowledge(incident, by, now, this.config.incident));
  }

  /** Resolves by hand, by incident id or fingerprint. */
  resolve(ref: string, by: string, now: number, note?: string): Promise<ActionOutcome> {
    return this.act(ref, now, (incident) => resolve(incident, by, now, note, this.config.incident));
  }

  /** Records the remediation run of an incident (by id or fingerprint): started, then its outcome. */
  recordRemediation(
    ref: string,
    remediation: IncidentRemediation,
    now: number,
  ): Promise<ActionOutcome> {
    return this.act(ref, now, (incident) =>
      setRemediation(incident, remediation, now, this.config.incident),
    );
  }

  /**
   * Validates and stores a silence, then mutes the firing incidents it matches.
   *
   * @throws {IncidentConfigError} naming the offending fields.
   */
  async createSilence(input: NewSilence, now: number): Promise<Silence> {
    const silence = validateSilence({ ...input, id: input.id ?? this.newId() });
    await this.deps.silences.put({ silence, version: 1 });
    await this.reconcile(now);
    return silence;
  }

  /**
   * Ends a silence now; the firing incidents it muted are announced again.
   *
   * @throws {SilenceNotFoundError} when there is no such silence.
   */
  async expireSilence(id: string, now: number): Promise<Silence> {
    for (let attempt = 1; ; attempt++) {
      const stored = await this.deps.silences.get(id);
      if (!stored) throw new SilenceNotFoundError(id);
      const expired = expireSilence(stored.silence, now);
      if (expired === stored.silence) return expired;
      try {
        await this.deps.silences.put({ silence: expired, version: stored.version + 1 });
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        await this.backoff(attempt, error);
        continue;
      }
      await this.reconcile(now);
      return expired;
    }
  }

  /** Open and acknowledged incidents, oldest first. */
  async listOpen(): Promise<Incident[]> {
    const active = await this.deps.incidents.listActive();
    return active
      .map((record) => record.incident)
      .filter((incident) => incident.status !== 'resolved')
      .sort((a, b) => a.firstSeen - b.firstSeen);
  }

  /** Silences not past their retention, those ending first first. */
  async listSilences(): Promise<Silence[]> {
    const stored = await this.deps.silences.list();
    return stored.map((record) => record.silence).sort((a, b) => a.endsAt - b.endsAt);
  }

  /**
   * The scheduled step: settles flapping and auto-resolves quiet incidents, re-applies silences
   * that started or ended, delivers what a crash left undelivered, sends "silence ends soon"
   * reminders, and ticks the groups that are due (batches and reminders).
   */
  async tickGroups(now: number): Promise<TickResult> {
    const run = new Run();
    const policy = this.config.incident;
    const quietMs = this.config.autoResolveAfterMs;
    for (const record of await this.deps.incidents.listActive()) {
      run.remember(record);
      await this.update(run, record.incident.fingerprint, now, (current) => {
        if (!current) return { incident: undefined, transitions: [], changed: false };
        const settled = settleFlapping(current, now, policy);
        if (quietMs <= 0) return settled;
        const resolved = autoResolve(settled.incident, now, quietMs, policy);
        return {
          incident: resolved.incident,
          transitions: [...settled.transitions, ...resolved.transitions],
          changed: settled.changed || resolved.changed,
        };
      });
    }
    await this.deliver(run, now);
    await this.remindSilences(run, now);
    const due = await this.deps.groups.listDue(now);
    for (const key of due) {
      await this.updateGroup(run, key, now, (state) => tick(state, now, this.config.grouping));
    }
    const autoResolved = run.result.transitions.filter(
      (t) => t.transition === 'resolved' && t.note?.includes('auto-resolved'),
    ).length;
    return { ...run.result, autoResolved, groupsTicked: due.length };
  }

  // ---- internals ----

  private async act(
    ref: string,
    now: number,
    action: (incident: Incident) => ActionResult,
  ): Promise<ActionOutcome> {
    const { fingerprint, id } = fingerprintOf(ref);
    const run = new Run();
    let archived: Incident | undefined;
    const outcome = await this.update(run, fingerprint, now, (current) => {
      if (current && (id === undefined || current.id === id)) return action(current);
      return { incident: undefined, transitions: [], changed: false };
    });
    if (!outcome.incident || (id !== undefined && outcome.incident.id !== id)) {
      // Not the head: an older, resolved incident of the fingerprint. Nothing to change.
      archived = id === undefined ? undefined : await this.deps.incidents.findById(id);
      if (!archived) throw new IncidentNotFoundError(ref);
    }
    await this.deliver(run, now);
    return {
      ...run.result,
      incident: archived ?? (outcome.incident as Incident),
      changed: outcome.changed,
    };
  }

  /** Re-applies silences to every firing incident (after a silence was created or ended). */
  private async reconcile(now: number): Promise<ServiceResult> {
    const run = new Run();
    for (const record of await this.deps.incidents.listActive()) {
      run.remember(record);
      await this.update(run, record.incident.fingerprint, now, (current) => ({
        incident: current,
        transitions: [],
        changed: false,
      }));
    }
    await this.deliver(run, now);
    return run.result;
  }

  /**
   * Read, step, decorate (silence, inhibition), conditional write; again on a lost race. Owes
   * the head's undelivered transitions to {@link deliver}, whether it wrote or not.
   */
  private async update(
    run: Run,
    fingerprint: string,
    now: number,
    step: Step,
  ): Promise<{ incident: Incident | undefined; changed: boolean }> {
    const policy = this.config.incident;
    for (let attempt = 1; ; attempt++) {
      const current = run.heads.get(fingerprint) ?? (await this.deps.incidents.get(fingerprint));
      const carried = current?.undelivered ?? [];
      const result = step(current?.incident);
      let incident = result.incident;
      if (!incident) {
        if (current) run.owe(current);
        return { incident: current?.incident, changed: false };
      }
      let changed = result.changed;
      const transitions = [...result.transitions];

      const silence = await this.activeSilenceOf(run, incident, now);
      const previousSilence = incident.silencedBy;
      const silenced = setSilenced(incident, silence?.id, now, policy);
      if (silenced.changed) {
        incident = silenced.incident;
        transitions.push(...silenced.transitions);
        changed = true;
        if (silence === undefined && previousSilence && incident.status !== 'resolved') {
          transitions.push(unmuted(incident, previousSilence, now));
        }
      }
      if (!changed) {
        if (current) run.owe(current);
        return { incident, changed: false };
      }

      const notify: IncidentTransition[] = [];
      const suppressed: Suppressed[] = [];
      for (const t of transitions) {
        let reason: string | undefined;
        if (incident.silencedBy !== undefined && t.transition !== 'silenced' && !t.muted) {
          reason = `silenced by ${incident.silencedBy}`;
        } else if (!t.muted && INHIBITABLE.has(t.transition)) {
          const inhibition = isInhibited(
            incident,
            await this.firingNear(run, incident),
            this.config.inhibitRules,
          );
          if (inhibition) {
            reason = inhibition.reason;
            incident = withComment(
              incident,
              `${t.transition} not notified: ${reason}`,
              now,
              policy.auditLimit,
            );
          }
        }
        if (reason === undefined) notify.push(t);
        else suppressed.push({ incidentId: t.incidentId, transition: t.transition, reason });
      }

      // One write, one version step, however many steps led to it.
      incident = { ...incident, version: (current?.incident.version ?? 0) + 1 };
      const record: StoredIncident = {
        incident,
        undelivered: [...carried, ...notify].slice(-UNDELIVERED_LIMIT),
      };
      try {
        // Archive first: if the head write then fails, the archive is merely early.
        if (result.replaced) await this.deps.incidents.archive(result.replaced);
        await this.deps.incidents.put(record);
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        run.heads.delete(fingerprint);
        await this.backoff(attempt, error);
        continue;
      }
      run.remember(record);
      run.owe(record);
      run.result.transitions.push(...transitions);
      run.result.suppressed.push(...suppressed);
      return { incident, changed: true };
    }
  }

  private async backoff(attempt: number, error: VersionConflictError): Promise<void> {
    if (attempt >= this.config.maxConflictRetries) throw error;
    await this.sleep(Math.round((5 + Math.random() * 45) * attempt));
  }

  private async activeSilenceOf(run: Run, incident: Incident, now: number) {
    run.silences ??= (await this.deps.silences.list()).map((record) => record.silence);
    return activeSilence(
      matchLabels(incident.ruleId, incident.labels, incident.severity),
      run.silences,
      this.config.maintenanceWindows,
      now,
    );
  }

  /** The firing incidents that could inhibit this one: its agent's, or all when rules need it. */
  private async firingNear(run: Run, incident: Incident): Promise<Incident[]> {
    if (!this.inhibitByAgent) {
      if (!run.firingAll) {
        const active = await this.deps.incidents.listActive();
        run.firingAll = new Map(
          active
            .filter((record) => record.incident.status !== 'resolved')
            .map((record) => [record.incident.fingerprint, record.incident]),
        );
        for (const record of run.heads.values()) run.remember(record);
      }
      return [...run.firingAll.values()];
    }
    const agent = incident.labels.agent ?? '';
    let cache = run.firingByAgent.get(agent);
    if (!cache) {
      const firing = await this.deps.incidents.listActiveByAgent(agent);
      cache = new Map(firing.map((i) => [i.fingerprint, i]));
      run.firingByAgent.set(agent, cache);
      // What this call wrote is newer than the index (eventually consistent on AWS).
      for (const record of run.heads.values()) {
        if ((record.incident.labels.agent ?? '') === agent) run.remember(record);
      }
    }
    return [...cache.values()];
  }

  /** Hands the owed transitions to their groups, then clears them on the heads. */
  private async deliver(run: Run, now: number): Promise<void> {
    const byGroup = new Map<string, IncidentTransition[]>();
    for (const { transitions } of run.owed.values()) {
      for (const t of transitions) {
        const list = byGroup.get(t.groupKey) ?? [];
        list.push(t);
        byGroup.set(t.groupKey, list);
      }
    }
    for (const [key, transitions] of byGroup) {
      const ordered = [...transitions].sort((a, b) => a.at - b.at);
      await this.updateGroup(run, key, now, (state) => {
        let next = state;
        const due: Notification[] = [];
        for (const t of ordered) {
          const result = onTransition(next, t, now, this.config.grouping);
          next = result.state;
          due.push(...result.due);
        }
        return { state: next, due };
      });
    }
    for (const [fingerprint, { version }] of run.owed) {
      await this.deps.incidents.markDelivered(fingerprint, version);
    }
    run.owed.clear();
  }

  /**
   * Read the group, send what a previous attempt left in `outgoing`, step, conditional write
   * with the new notifications in `outgoing`, send them, clear them.
   */
  private async updateGroup(
    run: Run,
    key: string,
    now: number,
    step: (state: GroupState) => GroupingResult,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const stored = await this.deps.groups.get(key);
      for (const message of stored.outgoing) await this.enqueue(run, message);

      const before: GroupState = stored.group
        ? { v: 1, groups: { [key]: stored.group } }
        : emptyGroupState();
      const { state, due } = step(before);
      const group = state.groups[key];
      const wakeAt = nextWakeUp(state, this.config.grouping);
      if (state === before && due.length === 0) {
        if (stored.outgoing.length > 0)
          await this.deps.groups.markFlushed(key, stored.version, wakeAt);
        return;
      }
      const { ids, epoch } = idsOf(stored, due);
      const messages = await this.messagesOf(run, due, ids);
      const next: StoredGroup = {
        key,
        group,
        version: stored.version + 1,
        epoch,
        outgoing: messages,
        // A crash before the outbox confirms them: the next tick finds the group and sends.
        wakeAt: messages.length > 0 ? now : wakeAt,
      };
      try {
        await this.deps.groups.put(next);
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        await this.backoff(attempt, error);
        continue;
      }
      for (const message of messages) await this.enqueue(run, message);
      if (messages.length > 0) await this.deps.groups.markFlushed(key, next.version, wakeAt);
      return;
    }
  }

  private async enqueue(run: Run, message: OutboxMessage): Promise<void> {
    if (await this.deps.outbox.enqueue(message)) run.result.notifications.push(message);
  }

  private async messagesOf(
    run: Run,
    due: readonly Notification[],
    ids: readonly string[],
  ): Promise<OutboxMessage[]> {
    const wanted = new Set<string>();
    for (const note of due) {
      for (const t of note.transitions) wanted.add(t.incidentId);
      for (const member of note.incidents) wanted.add(member.incidentId);
    }
    const lookup = new Map<string, Incident>();
    for (const id of wanted) {
      const head = run.heads.get(fingerprintOf(id).fingerprint)?.incident;
      const incident = head?.id === id ? head : await this.deps.incidents.findById(id);
      if (incident) lookup.set(id, incident);
    }
    return due.map((note, index) =>
      notificationMessage(note, ids[index] as string, lookup, this.config.routing),
    );
  }

  private async remindSilences(run: Run, now: number): Promise<void> {
    const stored = await this.deps.silences.list();
    const due = new Set(
      dueReminders(
        stored.map((record) => record.silence),
        now,
        this.config.silenceReminderMs,
      ),
    );
    for (const record of stored) {
      if (!due.has(record.silence)) continue;
      // Outbox first: a crash before the mark repeats the reminder under the same id.
      await this.enqueue(run, silenceReminderMessage(record.silence, now, this.config.routing));
      try {
        await this.deps.silences.put({
          silence: markReminded(record.silence),
          version: record.version + 1,
        });
      } catch (error) {
        // Changed meanwhile (extended, expired): the next tick decides again.
        if (!(error instanceof VersionConflictError)) throw error;
      }
    }
  }
}

/**
 * The ids of due notifications: `first` starts a group anew, so a new epoch; the others belong
 * to the current one. Grouping creates a group only with its `first` notification.
 */
function idsOf(
  stored: StoredGroup,
  due: readonly Notification[],
): { ids: string[]; epoch: number } {
  let epoch = stored.epoch;
  const ids = due.map((note) => {
    if (note.kind === 'first') epoch += 1;
    return notificationId(note.groupKey, epoch, sequenceOf(note));
  });
  return { ids, epoch };
}

import type { AgentSighting } from '../heartbeat/heartbeat.js';
import type { Group, Notification } from '../incidents/grouping.js';
import type { Incident, IncidentTransition } from '../incidents/incident.js';
import type { Receiver } from '../incidents/routing.js';
import type { Silence } from '../incidents/silences.js';
import type { Labels, Severity } from '../incidents/types.js';
import type { LogFilter } from '../logs/search.js';
import type { NotifiedIncident } from '../notify/types.js';
import type { Agent, LogLevel } from '../shared/contracts.js';

/** One metric point as the stores keep it: the envelope's point plus who sent it. */
export interface StoredPoint {
  agentId: string;
  host: string;
  name: string;
  labels: Record<string, string>;
  value: number;
  ts: number;
}

export interface StoredLogLine {
  agentId: string;
  host: string;
  /** Stable id of the line: `${Kinesis sequence number}#${index in the batch}`; retries reuse it. */
  id: string;
  ts: number;
  source: string;
  level?: LogLevel;
  message: string;
  attrs?: Record<string, string>;
  /** The log template the line belongs to (per agent and source), set by the logs detector. */
  templateId?: string;
}

export interface RejectedPoint {
  /** Index in the array passed to `write`. */
  index: number;
  reason: string;
}

export interface MetricWriteResult {
  written: number;
  /** Points the store refused for good (retrying would not help); transient errors throw instead. */
  rejected: RejectedPoint[];
}

export interface TimeRangeQuery {
  agentId: string;
  from: number;
  to: number;
  limit: number;
}

export interface MetricQuery extends TimeRangeQuery {
  name: string;
}

/** The write half of a metric store (the metrics detector's view). */
export interface MetricWriter {
  write(points: readonly StoredPoint[]): Promise<MetricWriteResult>;
}

/** The read half of a metric store (the query handler's view). */
export interface MetricReader {
  query(query: MetricQuery): Promise<StoredPoint[]>;
}

export type MetricStore = MetricWriter & MetricReader;

/** One agent's lines in a time range, optionally narrowed by source, level, template and text. */
export interface LogQuery extends TimeRangeQuery, LogFilter {}

export interface LogStore {
  write(lines: readonly StoredLogLine[]): Promise<void>;
  /** Newest first. */
  query(query: LogQuery): Promise<StoredLogLine[]>;
}

/** The agents registry as the heartbeat reads it. */
export interface AgentDirectory {
  list(): Promise<AgentSighting[]>;
}

export interface AgentRegistry {
  /** Records that the agent was seen at `ts`; never moves last-seen backwards. */
  markSeen(agent: Agent, ts: number): Promise<void>;
}

// ---- Incidents, alert groups, silences, outbox (the incident service's stores) ----

/** The current (head) incident of a fingerprint, as stored. */
export interface StoredIncident {
  incident: Incident;
  /**
   * Transitions written with this version (or carried over from earlier ones) that grouping has
   * not taken yet: the head's own outbox, so a crash between the write and grouping loses nothing.
   */
  undelivered: IncidentTransition[];
}

export interface IncidentStore {
  /**
   * The head of a fingerprint. It may be a resolved incident past its retention (TTL deletes
   * lazily, dynalite never): the lifecycle replaces such a head as it would any old resolved one,
   * and returning it keeps the version sequence intact.
   */
  get(fingerprint: string): Promise<StoredIncident | undefined>;
  /**
   * Writes the head if it is still at `incident.version - 1` (absent for version 1).
   *
   * @throws {VersionConflictError} when another writer got there first.
   */
  put(record: StoredIncident): Promise<void>;
  /** Clears `undelivered` if the head is still at `version`; false when it moved on. */
  markDelivered(fingerprint: string, version: number): Promise<boolean>;
  /** Keeps a replaced incident under its id (idempotent). */
  archive(incident: Incident): Promise<void>;
  /** A head or archived incident by id; expired ones are not returned. */
  findById(id: string): Promise<Incident | undefined>;
  /** Heads that are open, acknowledged, or still have undelivered transitions. */
  listActive(): Promise<StoredIncident[]>;
  /** Open and acknowledged heads whose `agent` label is `agent` ('' for none). */
  listActiveByAgent(agent: string): Promise<Incident[]>;
}

/** One notification group, as stored: one item per group key. */
export interface StoredGroup {
  key: string;
  /** Undefined while the group is empty (the item stays, so versions and epochs never restart). */
  group: Group | undefined;
  /** Incremented on every write; 0 when nothing is stored yet. */
  version: number;
  /** Incremented each time the group is created anew: notification ids stay unique across them. */
  epoch: number;
  /** Notifications decided by this write and not yet confirmed in the outbox. */
  outgoing: OutboxMessage[];
  /** When the scheduled tick should look at the group next (epoch ms); undefined: never. */
  wakeAt: number | undefined;
}

export interface GroupStore {
  /** The group's item, or an empty record at version 0. */
  get(key: string): Promise<StoredGroup>;
  /**
   * Writes the item if it is still at `record.version - 1`.
   *
   * @throws {VersionConflictError} when another writer got there first.
   */
  put(record: StoredGroup): Promise<void>;
  /** Clears `outgoing` and sets `wakeAt` if the item is still at `version`; false otherwise. */
  markFlushed(key: string, version: number, wakeAt: number | undefined): Promise<boolean>;
  /** Keys of the groups whose `wakeAt` is at or before `now`, earliest first. */
  listDue(now: number, limit?: number): Promise<string[]>;
}

export interface StoredSilence {
  silence: Silence;
  version: number;
}

export interface SilenceStore {
  get(id: string): Promise<StoredSilence | undefined>;
  /** Silences not yet past their retention (ended ones are kept a while for the record). */
  list(): Promise<StoredSilence[]>;
  /**
   * Writes the silence at `version` if it is still at `version - 1` (absent for version 1).
   *
   * @throws {VersionConflictError} when another writer got there first.
   */
  put(record: StoredSilence): Promise<void>;
}

/** The SNS message attributes subscribers filter on. */
export interface OutboxAttributes {
  severity: Severity;
  /** `first`, `batch`, `reminder` or `silence-expiring`. */
  kind: string;
  /** Comma-separated distinct values of the incidents' labels; '' when none. */
  service: string;
  host: string;
}

/** One message for the publisher: everything a notifier needs, decided once. */
export interface OutboxMessage {
  /** Dedup id: the item key and the SNS deduplication id. Stable across retries. */
  id: string;
  type: 'incidents' | 'silence-expiring';
  kind: Notification['kind'] | 'silence-expiring';
  createdAt: number;
  groupKey: string;
  groupLabels: Labels;
  /** News first (one entry per transition), then the group's other firing incidents. */
  incidents: NotifiedIncident[];
  /** The transitions themselves and their count beyond `maxPending`. */
  transitions: IncidentTransition[];
  omitted: number;
  receivers: Receiver[];
  maxSeverity: Severity;
  attributes: OutboxAttributes;
  /** For `silence-expiring`. */
  silence?: Silence;
}

export interface Outbox {
  /** Adds the message unless one with its id is there; true when it was added. */
  enqueue(message: OutboxMessage): Promise<boolean>;
}

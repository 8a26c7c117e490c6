import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { EngineState } from '../rules/types.js';

export interface VersionedRuleState {
  /** Undefined for an agent seen for the first time. */
  state: EngineState | undefined;
  /** 0 when the agent has no stored state yet. */
  version: number;
}

export interface RuleStateStore {
  load(agentId: string): Promise<VersionedRuleState>;
  /**
   * Saves the state if nobody saved since `expectedVersion` was read.
   *
   * @throws {RuleStateConflictError} when someone did (the caller's record is retried).
   */
  save(agentId: string, state: EngineState, expectedVersion: number): Promise<void>;
}

export class RuleStateConflictError extends Error {
  constructor(readonly agentId: string) {
    super(`rule state of agent ${agentId} changed while it was evaluated`);
    this.name = 'RuleStateConflictError';
  }
}

export interface DynamoDbRuleStateStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * The rules engine's state, one item per agent. The state is kept as a JSON string: it is read
 * and written whole, and a string keeps DynamoDB from rounding its numbers or nesting limits.
 */
export class DynamoDbRuleStateStore implements RuleStateStore {
  constructor(private readonly options: DynamoDbRuleStateStoreOptions) {}

  async load(agentId: string): Promise<VersionedRuleState> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: { agentId }, ConsistentRead: true }),
    );
    if (!Item) return { state: undefined, version: 0 };
    return { state: JSON.parse(String(Item.state)) as EngineState, version: Number(Item.version) };
  }

  async save(agentId: string, state: EngineState, expectedVersion: number): Promise<void> {
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            agentId,
            state: JSON.stringify(state),
            version: expectedVersion + 1,
            updatedAt: state.hw,
          },
          ConditionExpression:
            expectedVersion === 0 ? 'attribute_not_exists(agentId)' : 'version = :expected',
          ExpressionAttributeValues:
            expectedVersion === 0 ? undefined : { ':expected': expectedVersion },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new RuleStateConflictError(agentId);
      throw error;
    }
  }
}

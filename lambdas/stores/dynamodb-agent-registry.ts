import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AgentSighting } from '../heartbeat/heartbeat.js';
import type { Agent } from '../shared/contracts.js';
import type { AgentDirectory, AgentRegistry } from './types.js';

export interface DynamoDbAgentRegistryOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Agents and when each was last heard from (the heartbeat check reads this later). */
export class DynamoDbAgentRegistry implements AgentRegistry, AgentDirectory {
  constructor(private readonly options: DynamoDbAgentRegistryOptions) {}

  async markSeen(agent: Agent, ts: number): Promise<void> {
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { agentId: agent.id },
          UpdateExpression:
            'SET hostname = :hostname, version = :version, labels = :labels, lastSeen = :ts, firstSeen = if_not_exists(firstSeen, :ts)',
          // Retried or out-of-order batches must not move last-seen backwards.
          ConditionExpression: 'attribute_not_exists(lastSeen) OR lastSeen < :ts',
          ExpressionAttributeValues: {
            ':hostname': agent.hostname,
            ':version': agent.version,
            ':labels': agent.labels ?? {},
            ':ts': ts,
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
  }

  /** Every agent with its last sighting (a Scan: the registry holds one small item per agent). */
  async list(): Promise<AgentSighting[]> {
    const agents: AgentSighting[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.options.client.send(
        new ScanCommand({
          TableName: this.options.tableName,
          ProjectionExpression: 'agentId, hostname, lastSeen',
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        agents.push({
          agentId: String(item.agentId),
          hostname: String(item.hostname),
          lastSeen: Number(item.lastSeen),
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return agents;
  }
}

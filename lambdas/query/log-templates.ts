/**
 * The top log templates of a host, read from the template miner's state (one item per agent and
 * source in the `log-patterns` table: pk = agent id, sk = source, `state` = gzipped JSON).
 */
import { gunzipSync } from 'node:zlib';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { parseSourceState } from '../logs-detector/source-state.js';

export interface TemplateView {
  id: string;
  source: string;
  /** The template text; variables are `<*>`. */
  text: string;
  /** Lines that joined it since the miner started on the source. */
  count: number;
}

export interface TemplateReader {
  /** Every template of every source of the agent. */
  templates(agentId: string): Promise<TemplateView[]>;
}

/** The `limit` templates with the most lines, most first. Pure. */
export function topTemplates(templates: readonly TemplateView[], limit: number): TemplateView[] {
  return [...templates].sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : 1)).slice(0, limit);
}

export interface DynamoDbTemplateReaderOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

export class DynamoDbTemplateReader implements TemplateReader {
  constructor(private readonly options: DynamoDbTemplateReaderOptions) {}

  async templates(agentId: string): Promise<TemplateView[]> {
    const views: TemplateView[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :agent',
          ExpressionAttributeValues: { ':agent': agentId },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const state = parseSourceState(
          JSON.parse(gunzipSync(item.state as Uint8Array).toString('utf8')),
        );
        for (const template of state.miner.templates) {
          views.push({
            id: template.id,
            source: String(item.sk),
            text: template.tokens.join(' '),
            count: template.count,
          });
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return views;
  }
}

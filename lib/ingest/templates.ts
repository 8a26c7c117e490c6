/**
 * API Gateway mapping templates (VTL) of the direct Kinesis PutRecord integration. The stack
 * deploys them and the local API stand-in renders the very same strings with velocityjs, so the
 * record that reaches Kinesis is built identically in both places.
 */

/**
 * Request template: the whole (already decompressed) body becomes the record's data and the
 * agent id its partition key, so one agent's batches stay ordered on one shard.
 */
export function putRecordRequestTemplate(streamName: string): string {
  return [
    '{',
    `  "StreamName": "${streamName}",`,
    `  "PartitionKey": "$util.escapeJavaScript($input.path('$.agent.id'))",`,
    '  "Data": "$util.base64Encode($input.body)"',
    '}',
  ].join('\n');
}

/** 200: what the agent needs to log where its batch went. */
export const PUT_RECORD_SUCCESS_TEMPLATE = [
  '{',
  '  "accepted": true,',
  `  "shardId": "$input.path('$.ShardId')",`,
  `  "sequenceNumber": "$input.path('$.SequenceNumber')"`,
  '}',
].join('\n');

/**
 * Kinesis answers 400 for throttling as well as for bad requests; tell them apart so the agent
 * backs off (429) on one, and stops resending (413) a record over the 1 MiB limit on the other.
 */
export const PUT_RECORD_CLIENT_ERROR_TEMPLATE = [
  "#set($type = $input.path('$.__type'))",
  "#set($message = $input.path('$.message'))",
  "#if($type.contains('ProvisionedThroughputExceeded') || $type.contains('LimitExceeded') || $type.contains('KMSThrottling'))",
  '#set($context.responseOverride.status = 429)',
  '{"error": "throttled", "message": "stream throughput exceeded, retry with backoff"}',
  "#elseif($message.contains('1048576'))",
  '#set($context.responseOverride.status = 413)',
  '{"error": "payload_too_large", "message": "batch exceeds the 1 MiB Kinesis record limit, split it"}',
  '#else',
  '#set($context.responseOverride.status = 502)',
  '{"error": "upstream_error", "message": "stream rejected the record: $util.escapeJavaScript($type)"}',
  '#end',
].join('\n');

/** 5xx from Kinesis: the agent keeps the batch and retries. */
export const PUT_RECORD_SERVER_ERROR_TEMPLATE =
  '{"error": "upstream_error", "message": "stream unavailable, retry with backoff"}';

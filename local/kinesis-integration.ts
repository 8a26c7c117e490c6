/**
 * The stand-in of API Gateway's direct Kinesis integration: renders the stack's own request
 * template into a PutRecord request, sends it with the SDK, and maps the answer through the
 * stack's response templates, so a record is built and an error classified as on AWS.
 */
import {
  type KinesisClient,
  KinesisServiceException,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import {
  PUT_RECORD_CLIENT_ERROR_TEMPLATE,
  PUT_RECORD_SERVER_ERROR_TEMPLATE,
  PUT_RECORD_SUCCESS_TEMPLATE,
  putRecordRequestTemplate,
} from '../lib/ingest/templates.js';
import { renderTemplate } from './velocity.js';

export interface IntegrationResponse {
  readonly status: number;
  /** JSON text. */
  readonly body: string;
  /** What Kinesis (or the connection to it) failed with, for the caller's log. */
  readonly error?: unknown;
}

interface PutRecordRequest {
  StreamName: string;
  PartitionKey: string;
  Data: string;
}

/** The status API Gateway answers with when a 5xx (or no answer) comes back from Kinesis. */
const SERVER_ERROR_STATUS = 502;

/**
 * Puts one request body (validated, decompressed JSON text) into a stream as one record.
 *
 * @param context `$context` variables for the templates (`requestId`).
 */
export async function putRecordIntegration(
  kinesis: KinesisClient,
  streamName: string,
  body: string,
  context: Record<string, unknown> = {},
): Promise<IntegrationResponse> {
  const request = JSON.parse(
    renderTemplate(putRecordRequestTemplate(streamName), { body, context }).output,
  ) as PutRecordRequest;

  let answer: string;
  try {
    const result = await kinesis.send(
      new PutRecordCommand({
        StreamName: request.StreamName,
        PartitionKey: request.PartitionKey,
        Data: Buffer.from(request.Data, 'base64'),
      }),
    );
    answer = JSON.stringify({ ShardId: result.ShardId, SequenceNumber: result.SequenceNumber });
  } catch (error) {
    return errorResponse(error, context);
  }
  const rendered = renderTemplate(PUT_RECORD_SUCCESS_TEMPLATE, { body: answer, context });
  return { status: rendered.statusOverride ?? 200, body: rendered.output };
}

function errorResponse(error: unknown, context: Record<string, unknown>): IntegrationResponse {
  const httpStatus =
    error instanceof KinesisServiceException ? error.$metadata.httpStatusCode : undefined;
  if (error instanceof KinesisServiceException && httpStatus !== undefined && httpStatus < 500) {
    // The error body Kinesis sends, as the integration response template sees it.
    const body = JSON.stringify({ __type: error.name, message: error.message });
    const rendered = renderTemplate(PUT_RECORD_CLIENT_ERROR_TEMPLATE, { body, context });
    return { status: rendered.statusOverride ?? 400, body: rendered.output, error };
  }
  const rendered = renderTemplate(PUT_RECORD_SERVER_ERROR_TEMPLATE, { body: '{}', context });
  return { status: rendered.statusOverride ?? SERVER_ERROR_STATUS, body: rendered.output, error };
}

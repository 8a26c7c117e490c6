/**
 * Thin AWS adapters of the remediation ports: Telegram, the alerts topic, the incident service
 * and the Step Functions callbacks. The logic they serve is in `steps.ts` and `approvals.ts`.
 */

import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { IncidentService } from '../incidents/service.js';
import { IncidentNotFoundError } from '../incidents/service-errors.js';
import type { ChatId, TelegramClient } from '../notify/telegram-client.js';
import { type TaskCallbacks, TaskExpiredError } from './approvals.js';
import type { StartExecution } from './dispatcher.js';
import type { RemediationIncidents, RemediationNotice, RemediationTelegram } from './steps.js';
import type { RunbookName } from './types.js';

/** Messages to the approvers' chat; a failed send is thrown so the step is retried. */
export function telegramSender(
  client: () => Promise<Pick<TelegramClient, 'sendMessage'>>,
  chatId: ChatId,
): RemediationTelegram {
  return {
    async send(text, replyMarkup) {
      const telegram = await client();
      const result = await telegram.sendMessage({
        chatId,
        text,
        parseMode: 'HTML',
        disableLinkPreview: true,
        ...(replyMarkup ? { replyMarkup } : {}),
      });
      if (result.kind !== 'ok') throw new Error(`Telegram sendMessage failed: ${result.reason}`);
    },
  };
}

/**
 * The SNS Publish request of a notice: `email` subscribers get the text, every other protocol
 * the JSON; attributes `kind`, `severity` and `channels: ["email"]` (the Telegram notifier's
 * subscription filters on `telegram`: the steps message Telegram themselves).
 */
export function noticePublishInput(
  topicArn: string,
  notice: RemediationNotice,
): PublishCommandInput {
  return {
    TopicArn: topicArn,
    Subject: notice.subject,
    MessageStructure: 'json',
    Message: JSON.stringify({ default: JSON.stringify(notice.payload), email: notice.body }),
    MessageAttributes: {
      kind: { DataType: 'String', StringValue: notice.kind },
      severity: { DataType: 'String', StringValue: notice.severity },
      channels: { DataType: 'String.Array', StringValue: JSON.stringify(['email']) },
    },
  };
}

export function snsNoticePublisher(
  client: Pick<SNSClient, 'send'>,
  topicArn: string,
): (notice: RemediationNotice) => Promise<void> {
  return async (notice) => {
    await client.send(new PublishCommand(noticePublishInput(topicArn, notice)));
  };
}

export function remediationIncidents(service: IncidentService): RemediationIncidents {
  return {
    async status(incidentId) {
      return (await service.get(incidentId))?.status;
    },
    async record(incidentId, remediation, now) {
      try {
        await service.recordRemediation(incidentId, remediation, now);
      } catch (error) {
        // A run started by hand may name an incident that expired since: nothing to record on.
        if (!(error instanceof IncidentNotFoundError)) throw error;
      }
    },
  };
}

const EXPIRED = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export function sfnTaskCallbacks(client: Pick<SFNClient, 'send'>): TaskCallbacks {
  const expired = (error: unknown): never => {
    const name = (error as { name?: string }).name ?? '';
    if (EXPIRED.has(name)) throw new TaskExpiredError(`${name}: the execution no longer waits`);
    throw error;
  };
  return {
    async succeed(taskToken, output) {
      await client
        .send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }))
        .catch(expired);
    },
    async fail(taskToken, error, cause) {
      await client.send(new SendTaskFailureCommand({ taskToken, error, cause })).catch(expired);
    },
  };
}

/** {@link StartExecution} over the SFN client: a name started before returns its execution. */
export function sfnStartExecution(
  client: Pick<SFNClient, 'send'>,
  stateMachines: Record<RunbookName, string>,
): StartExecution {
  return async (runbook, name, input) => {
    const stateMachineArn = stateMachines[runbook];
    try {
      const output = await client.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return { executionArn: output.executionArn ?? '' };
    } catch (error) {
      if ((error as { name?: string }).name !== 'ExecutionAlreadyExists') throw error;
      // Started by an earlier delivery of the same message: its ARN follows from the name.
      return {
        executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      };
    }
  };
}

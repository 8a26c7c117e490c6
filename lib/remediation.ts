/**
 * Remediation: one Step Functions state machine per runbook (see `remediation-workflow.ts`), the
 * Lambda steps they share, the audit trail and state tables, the secret of the signed approval
 * links, and least-privilege IAM: the state machines act only on instances and ECS services
 * tagged `vigil:remediation=enabled`.
 */
import {
  ArnFormat,
  type CfnElement,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import { LambdaIntegration, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { SubscriptionFilter } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import {
  DefinitionBody,
  LogLevel,
  StateMachine,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { parseScriptAllowList, type ScriptAllowList } from '../lambdas/remediation/runbooks.js';
import { RUNBOOKS, type RunbookName } from '../lambdas/remediation/types.js';
import { ENV } from '../lambdas/shared/config.js';
import {
  REMEDIATION_AUDIT_TABLE,
  REMEDIATION_STATE_TABLE,
} from '../lambdas/stores/table-schemas.js';
import type { Alerting } from './alerting.js';
import { grantSecretValue } from './alerting.js';
import type { AlertingState } from './alerting-state.js';
import { RemediationWorkflow, remediationActionStatements } from './remediation-workflow.js';
import { grantOnTable, schemaTable } from './tables.js';
import { VigilFunction } from './vigil-function.js';

export interface RemediationProps {
  /** The alerts topic, Telegram secret and incident service the steps use. */
  readonly alerting: Alerting;
  /** The incidents table and the config table holding the rules (and their runbook mappings). */
  readonly state: AlertingState;
  /** Key of the log groups and the link secret. */
  readonly encryptionKey: IKey;
  /**
   * The API the email approval page is added to (`GET|POST /v1/remediation/approval`).
   * @default - no page: approval emails ask to answer in Telegram
   */
  readonly api?: RestApi;
  /**
   * Telegram chat approval requests and outcomes go to.
   * @default - none: approvals then only go by email
   */
  readonly telegramChatId?: string;
  /**
   * The RunScript allow-list (`lambdas/remediation/runbooks.ts`).
   * @default - empty: RunScript refuses every script
   */
  readonly scripts?: ScriptAllowList;
  /** @default 900 */
  readonly approvalTimeoutSeconds?: number;
  /** @default 60 */
  readonly verifyDelaySeconds?: number;
  /** @default 3 */
  readonly maxAutoRunsPerHour?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The RunScript allow-list of the `remediationScripts` context: JSON (inline or in cdk.json),
 * validated at synth so a bad entry fails naming the script and key.
 *
 * @example
 * npx cdk deploy -c remediationScripts='{"clear-tmp":{"document":"AWS-RunShellScript","commands":["find /tmp -mtime +{{ days }} -delete"],"parameters":{"days":{"pattern":"[0-9]{1,3}"}}}}'
 */
export function remediationScriptsFromContext(value: unknown): ScriptAllowList {
  if (value === undefined || value === null || value === '') return {};
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error('context "remediationScripts" must be a JSON object of script id → script');
    }
  }
  try {
    return parseScriptAllowList(parsed);
  } catch (error) {
    throw new Error(`context "remediationScripts": ${(error as Error).message}`);
  }
}

/** Path of the email approval page on the API. */
export const REMEDIATION_APPROVAL_ROUTE = '/v1/remediation/approval';

/** Stage throttling of the approval page, which no usage plan covers (it has no API key). */
export const REMEDIATION_APPROVAL_THROTTLE = { rateLimit: 5, burstLimit: 10 } as const;

/** The message attribute the dispatcher's subscription filters on (set by the publisher). */
const KIND_ATTRIBUTE = 'kind';

/** The name of a runbook's state machine: `<stack name>-<runbook>`. */
function stateMachineName(stack: Stack, runbook: RunbookName): string {
  return `${stack.stackName}-${runbook}`;
}

/** The longest a run may take, approval wait included. */
export const EXECUTION_TIMEOUT = Duration.days(2);

export class Remediation extends Construct {
  public readonly auditTable: Table;
  public readonly stateTable: Table;
  public readonly linkSecret: Secret;
  public readonly steps: VigilFunction;
  /** Starts the mapped runbook when an incident opens (alerts topic subscriber). */
  public readonly dispatcher: VigilFunction;
  /** The page behind the signed links of approval emails (with `api`). */
  public readonly approvalPage?: VigilFunction;
  public readonly stateMachines: Readonly<Record<RunbookName, StateMachine>>;
  /** Environment of every function that starts runs or answers approvals. */
  public readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: RemediationProps) {
    super(scope, id);
    const { alerting, encryptionKey } = props;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const scripts = parseScriptAllowList(props.scripts ?? {});

    this.auditTable = schemaTable(this, 'AuditTable', REMEDIATION_AUDIT_TABLE, { removalPolicy });
    this.stateTable = schemaTable(this, 'StateTable', REMEDIATION_STATE_TABLE, { removalPolicy });
    this.linkSecret = new Secret(this, 'LinkSecret', {
      description: 'Vigil remediation: {"linkSecret"} signing the approve/deny links of emails',
      encryptionKey,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'linkSecret',
        excludePunctuation: true,
        includeSpace: false,
        passwordLength: 64,
      },
    });
    Validations.of(this.linkSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret only signs approval links that expire with their approval (15 minutes by default); replacing it with put-secret-value at any time just invalidates the links in flight, so a rotation Lambda would add a function and permissions for no gain.',
    });

    const tables = {
      [ENV.remediationAuditTable]: this.auditTable.tableName,
      [ENV.remediationStateTable]: this.stateTable.tableName,
    };
    this.steps = new VigilFunction(this, 'Steps', {
      name: 'remediation-steps',
      timeout: Duration.seconds(30),
      logEncryptionKey: encryptionKey,
      environment: {
        ...alerting.environment,
        ...tables,
        ...(props.telegramChatId ? { [ENV.telegramChatId]: props.telegramChatId } : {}),
        [ENV.remediationSecretArn]: this.linkSecret.secretArn,
        [ENV.remediationScripts]: JSON.stringify(scripts),
        [ENV.remediationApprovalTimeoutSeconds]: String(props.approvalTimeoutSeconds ?? 900),
        [ENV.remediationVerifyDelaySeconds]: String(props.verifyDelaySeconds ?? 60),
        [ENV.remediationMaxAutoRunsPerHour]: String(props.maxAutoRunsPerHour ?? 3),
      },
    });
    this.grantSteps(this.steps);
    alerting.grantIncidentService(this.steps);
    alerting.grantTelegramSecretRead(this.steps);
    grantSecretValue(this.linkSecret, encryptionKey, this.steps);
    Grant.addToPrincipal({
      grantee: this.steps,
      actions: ['sns:Publish'],
      resourceArns: [alerting.topic.topicArn],
    });
    encryptionKey.grant(this.steps, 'kms:GenerateDataKey', 'kms:Decrypt');

    const ssmDocuments = [...new Set(Object.values(scripts).map((script) => script.document))];
    const machines = {} as Record<RunbookName, StateMachine>;
    for (const runbook of RUNBOOKS) {
      machines[runbook] = this.stateMachine(runbook, encryptionKey, ssmDocuments);
    }
    this.stateMachines = machines;
    this.environment = {
      ...tables,
      [ENV.remediationStateMachines]: JSON.stringify(
        Object.fromEntries(RUNBOOKS.map((name) => [name, this.stateMachineArnOf(name)])),
      ),
    };

    this.dispatcher = new VigilFunction(this, 'Dispatcher', {
      name: 'remediation-dispatcher',
      timeout: Duration.seconds(30),
      logEncryptionKey: encryptionKey,
      environment: {
        ...props.state.rulesEnvironment(),
        [ENV.incidentsTable]: props.state.incidentsTable.tableName,
        [ENV.remediationStateMachines]: this.environment[ENV.remediationStateMachines] ?? '',
      },
    });
    if (props.api) this.approvalPage = this.addApprovalPage(props.api, encryptionKey);
    props.state.grantRulesRead(this.dispatcher);
    grantOnTable(
      props.state.incidentsTable,
      this.dispatcher,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
    );
    this.grantStart(this.dispatcher);
    // Only notifications that can carry newly opened incidents (not reminders, not notices).
    alerting.topic.addSubscription(
      new LambdaSubscription(this.dispatcher, {
        filterPolicy: {
          [KIND_ATTRIBUTE]: SubscriptionFilter.stringFilter({ allowlist: ['first', 'batch'] }),
        },
      }),
    );
  }

  private stateMachine(
    runbook: RunbookName,
    encryptionKey: IKey,
    ssmDocuments: readonly string[],
  ): StateMachine {
    const workflow = new RemediationWorkflow(this, `${runbook}Definition`, {
      runbook,
      steps: this.steps,
    });
    const logGroup = new LogGroup(this, `${runbook}Logs`, {
      retention: RetentionDays.THREE_MONTHS,
      encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const machine = new StateMachine(this, runbook, {
      stateMachineName: stateMachineName(Stack.of(this), runbook),
      comment: `Vigil runbook ${runbook}`,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(workflow.definition),
      timeout: EXECUTION_TIMEOUT,
      tracingEnabled: true,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });
    for (const statement of remediationActionStatements(
      this,
      runbook,
      runbook === 'RunScript' ? ssmDocuments : [],
    )) {
      machine.addToRolePolicy(statement);
    }
    const wildcards: Record<string, string> = {
      'Resource::*':
        'Only actions with no resource-level permissions: ssm:GetCommandInvocation, the X-Ray tracing actions and the CloudWatch Logs delivery actions of the state machine logging.',
      'Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*':
        'ssm:SendCommand on instances is conditioned on the ssm:resourceTag/vigil:remediation=enabled tag: only instances tagged for Vigil.',
      'Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:managed-instance/*':
        'ssm:SendCommand on managed nodes is conditioned on the ssm:resourceTag/vigil:remediation=enabled tag: only nodes tagged for Vigil.',
      'Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/*':
        'ecs:UpdateService is conditioned on the aws:ResourceTag/vigil:remediation=enabled tag; ecs:DescribeServices is read-only. The services are named at run time by the incident.',
      [`Resource::<${Stack.of(this).getLogicalId(this.steps.node.defaultChild as CfnElement)}.Arn>:*`]:
        'lambda:InvokeFunction on the versions and aliases of the steps function only (what LambdaInvoke grants).',
    };
    for (const [finding, reason] of Object.entries(wildcards)) {
      Validations.of(machine).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    }
    return machine;
  }

  /**
   * `GET|POST /v1/remediation/approval` on the API: the signed links of approval emails. No API
   * key (a mail client cannot send one): the handler checks the link's HMAC and expiry, and only a
   * POST (the page's Confirm button) decides.
   */
  private addApprovalPage(api: RestApi, encryptionKey: IKey): VigilFunction {
    const page = new VigilFunction(this, 'ApprovalPage', {
      name: 'remediation-approval',
      timeout: Duration.seconds(20),
      logEncryptionKey: encryptionKey,
      environment: {
        [ENV.remediationAuditTable]: this.auditTable.tableName,
        [ENV.remediationStateTable]: this.stateTable.tableName,
        [ENV.remediationSecretArn]: this.linkSecret.secretArn,
      },
    });
    this.grantApprovals(page);
    grantSecretValue(this.linkSecret, encryptionKey, page);
    const resource = api.root.resourceForPath(REMEDIATION_APPROVAL_ROUTE);
    const integration = new LambdaIntegration(page, { allowTestInvoke: false });
    const reason =
      'Approval emails link here and a mail client sends no API key or credentials: the handler authenticates each request by the HMAC-SHA256 signature of the link (secret in Secrets Manager, constant-time comparison) with an expiry, decides only on POST, and the stage throttles the route.';
    for (const method of ['GET', 'POST']) {
      const added = resource.addMethod(method, integration, { apiKeyRequired: false });
      Validations.of(added).acknowledge({ id: 'AwsSolutions-APIG4', reason });
      Validations.of(added).acknowledge({ id: 'AwsSolutions-COG4', reason });
    }
    this.steps.addEnvironment(
      ENV.remediationApprovalUrl,
      `${api.url}${REMEDIATION_APPROVAL_ROUTE.slice(1)}`,
    );
    return page;
  }

  /** The steps' table access: audit events (PutItem, Query), guard state and approvals. */
  private grantSteps(grantee: IGrantable): void {
    grantOnTable(this.auditTable, grantee, 'dynamodb:PutItem', 'dynamodb:Query');
    grantOnTable(
      this.stateTable,
      grantee,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    );
  }

  /**
   * What answering approvals needs (the ChatOps handler, the link handler): the approvals and the
   * audit trail, and SendTaskSuccess/SendTaskFailure on the remediation state machines.
   */
  public grantApprovals(grantee: IGrantable): void {
    this.grantSteps(grantee);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: RUNBOOKS.map((runbook) => this.stateMachineArnOf(runbook)),
      }),
    );
  }

  /**
   * Lets the ChatOps webhook answer approval buttons and run `/run`: the remediation environment
   * and the grants of {@link grantApprovals} and {@link grantStart}.
   */
  public connectChatOps(chatops: VigilFunction): void {
    for (const [name, value] of Object.entries(this.environment))
      chatops.addEnvironment(name, value);
    this.grantApprovals(chatops);
    this.grantStart(chatops);
  }

  /** StartExecution on every remediation state machine (dispatcher, `/run`). */
  public grantStart(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:StartExecution'],
        resources: RUNBOOKS.map((runbook) => this.stateMachineArnOf(runbook)),
      }),
    );
  }

  /**
   * A runbook's state machine ARN from its name, not a reference to the resource: ChatOps and
   * the approval page sit on the API whose URL the steps need, so referencing the state machines
   * (which reference the steps) from them would make a dependency cycle.
   */
  public stateMachineArnOf(runbook: RunbookName): string {
    const stack = Stack.of(this);
    return stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName(stack, runbook),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }
}

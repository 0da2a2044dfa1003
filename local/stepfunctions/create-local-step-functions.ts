// aws-local-stepfunctions needs Promise.withResolvers, which Node 20 lacks: import the polyfill first.
import '../polyfills.ts';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Logger } from '@aws-lambda-powertools/logger';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type {
  CreateStateMachineOutput,
  DescribeExecutionOutput,
  DescribeStateMachineOutput,
  ExecutionListItem,
  ExecutionStatus,
  GetExecutionHistoryOutput,
  HistoryEvent,
  ListExecutionsOutput,
  ListStateMachinesOutput,
  StartExecutionOutput,
  StopExecutionOutput,
} from '@aws-sdk/client-sfn';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { codeBuildApiFromClient, type CodeBuildApi } from '../codebuild/codebuild-api.ts';
import { LocalStepFunctionsError } from './errors.ts';
import { ExecutionContext } from './execution-context.ts';
import { ExecutionHistory, json, type NewHistoryEvent } from './execution-history.ts';
import { createLambdaInvoker, type InvokeLambda } from './lambda-invoker.ts';
import { prepareDefinition, type PreparedDefinition } from './prepare-definition.ts';
import { PAYLOAD_LIMIT_BYTES, type LimitFailure } from './service-limits.ts';
import { createTaskHandler, type TaskDeps } from './task-handlers.ts';
import { TaskTokens } from './task-tokens.ts';

export interface ExecutionSummary {
  executionArn: string;
  stateMachineArn: string;
  name: string;
}

export interface LocalStepFunctionsOptions {
  /** Calls a Lambda function; default: the Lambda API (AWS_ENDPOINT_URL_LAMBDA). Tests pass handlers in-process. */
  invokeLambda?: InvokeLambda;
  /** The local CodeBuild core, or a CodeBuild client (default: one honouring AWS_ENDPOINT_URL_CODEBUILD). */
  codebuild?: CodeBuildApi | CodeBuildClient;
  /** For dynamodb:* tasks; default: a client honouring AWS_ENDPOINT_URL_DYNAMODB. */
  dynamodb?: DynamoDBClient;
  /** Retry at once instead of after IntervalSeconds × BackoffRate^n (MaxAttempts still counts). */
  fastRetries?: boolean;
  /**
   * Scales Wait states with `Seconds`, and, unless fastRetries, the retry intervals (each retrier then
   * waits its IntervalSeconds × timeScale, without backoff growth or jitter). Default 1: real time.
   */
  timeScale?: number;
  /** How often `.sync` CodeBuild tasks poll BatchGetBuilds; default 250 ms. */
  syncPollIntervalMs?: number;
  region?: string;
  accountId?: string;
  /** Every history event as it is recorded (progress printing). */
  onEvent?: (event: HistoryEvent, execution: ExecutionSummary) => void;
  logger?: { error(message: string, ...extra: unknown[]): void };
}

export interface StartExecutionRequest {
  stateMachineArn: string;
  name?: string;
  /** The execution input as JSON text, as in the API; default `{}`. */
  input?: string;
}

export interface GetExecutionHistoryRequest {
  executionArn: string;
  reverseOrder?: boolean;
  maxResults?: number;
  nextToken?: string;
  includeExecutionData?: boolean;
}

export interface ListExecutionsRequest {
  stateMachineArn: string;
  statusFilter?: ExecutionStatus;
  maxResults?: number;
  nextToken?: string;
}

export interface LocalStepFunctions {
  createStateMachine(
    name: string,
    definition: object | string,
    options?: { roleArn?: string },
  ): CreateStateMachineOutput;
  describeStateMachine(stateMachineArn: string): DescribeStateMachineOutput;
  listStateMachines(): ListStateMachinesOutput;
  startExecution(request: StartExecutionRequest): StartExecutionOutput;
  describeExecution(executionArn: string): DescribeExecutionOutput;
  listExecutions(request: ListExecutionsRequest): ListExecutionsOutput;
  getExecutionHistory(request: GetExecutionHistoryRequest): GetExecutionHistoryOutput;
  stopExecution(request: { executionArn: string; error?: string; cause?: string }): StopExecutionOutput;
  sendTaskSuccess(request: { taskToken: string; output: string }): void;
  sendTaskFailure(request: { taskToken: string; error?: string; cause?: string }): void;
  sendTaskHeartbeat(request: { taskToken: string }): void;
  /** Resolves once the execution has ended and its history is complete. */
  waitForExecution(executionArn: string, options?: { timeoutMs?: number }): Promise<DescribeExecutionOutput>;
  /** Stops every running execution and waits for them. */
  close(): Promise<void>;
}

interface MachineRecord {
  arn: string;
  name: string;
  definitionText: string;
  roleArn: string;
  creationDate: Date;
  prepared: PreparedDefinition;
  runnable: StateMachine;
  overrides: { retryIntervalOverrides: Record<string, number | number[]>; waitTimeOverrides: Record<string, number> };
}

interface ExecutionRecord extends ExecutionSummary {
  input: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  history: ExecutionHistory;
  stop(error: string | undefined, cause: string | undefined): void;
  done: Promise<void>;
}

/** Names of state machines and executions: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html */
// eslint-disable-next-line no-control-regex -- control characters are among what a name must not contain
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

let defaultCodeBuild: CodeBuildApi | undefined;
let defaultDynamoDb: DynamoDBClient | undefined;

/**
 * Step Functions on this machine: state machines in JSONPath ASL run with aws-local-stepfunctions,
 * every Task state replaced by a local handler that calls the service the real integration calls
 * (task-handlers.ts). Executions run in the background and keep a history in the API's shape.
 * AWS's quotas hold as they do on AWS (service-limits.ts): 256 KiB per execution input (refused at
 * StartExecution), task result (a task failure), state input and output (the execution fails, past
 * every Catch), and 25,000 history events.
 */
export function createLocalStepFunctions(options: LocalStepFunctionsOptions = {}): LocalStepFunctions {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const logger = options.logger ?? new Logger({ serviceName: 'pushgate-local-stepfunctions' });
  const machines = new Map<string, MachineRecord>();
  const executions = new Map<string, ExecutionRecord>();
  const tokens = new TaskTokens();
  const deps: TaskDeps = {
    invokeLambda: options.invokeLambda ?? createLambdaInvoker(),
    // The default clients are made on first use, so they see the AWS_ENDPOINT_URL_* set by then.
    get codebuild() {
      return resolveCodeBuild(options.codebuild);
    },
    get dynamodb() {
      return options.dynamodb ?? (defaultDynamoDb ??= new DynamoDBClient({}));
    },
    tokens,
    region,
    pollIntervalMs: options.syncPollIntervalMs ?? 250,
    logError: (message, error) => logger.error(message, { error }),
    // Child executions (states:startExecution.sync:2) run in this same Step Functions.
    executions: {
      start: (request) => startExecution(request),
      wait: async (executionArn) => {
        const record = execution(executionArn);
        await record.done;
        return describe(record);
      },
      stop: (executionArn, error, cause) => {
        const record = execution(executionArn);
        if (record.status === 'RUNNING') record.stop(error, cause);
      },
    },
  };

  function machine(arn: string): MachineRecord {
    if (!/^arn:[^:]+:states:[^:]+:\d{12}:stateMachine:[^:]+$/.test(arn))
      throw new LocalStepFunctionsError('InvalidArn', `Invalid Arn: '${arn}'`);
    const found = machines.get(arn);
    if (!found) throw new LocalStepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return found;
  }

  function execution(arn: string): ExecutionRecord {
    if (!/^arn:[^:]+:states:[^:]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn))
      throw new LocalStepFunctionsError('InvalidArn', `Invalid Arn: '${arn}'`);
    const found = executions.get(arn);
    if (!found) throw new LocalStepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return found;
  }

  function createStateMachine(
    name: string,
    definition: object | string,
    createOptions: { roleArn?: string } = {},
  ): CreateStateMachineOutput {
    if (!NAME.test(name)) throw new LocalStepFunctionsError('InvalidName', `Invalid Name: '${name}'`);
    let parsed: Record<string, unknown>;
    try {
      parsed = (typeof definition === 'string' ? JSON.parse(definition) : structuredClone(definition)) as Record<
        string,
        unknown
      >;
    } catch (error) {
      throw new LocalStepFunctionsError(
        'InvalidDefinition',
        'Invalid State Machine Definition: the definition is not JSON',
        { cause: error },
      );
    }
    const definitionText = JSON.stringify(parsed);
    const arn = `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
    const existing = machines.get(arn);
    if (existing) {
      // CreateStateMachine is idempotent for an identical definition.
      if (existing.definitionText === definitionText)
        return { stateMachineArn: arn, creationDate: existing.creationDate };
      throw new LocalStepFunctionsError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    try {
      // Validates as the service would (asl-validator, the library's own check).
      new StateMachine(parsed as unknown as StateMachineDefinition);
    } catch (error) {
      throw new LocalStepFunctionsError(
        'InvalidDefinition',
        `Invalid State Machine Definition: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const prepared = prepareDefinition(parsed);
    const record: MachineRecord = {
      arn,
      name,
      definitionText,
      roleArn: createOptions.roleArn ?? `arn:aws:iam::${accountId}:role/pushgate-local-stepfunctions`,
      creationDate: new Date(),
      prepared,
      runnable: new StateMachine(prepared.runnable as unknown as StateMachineDefinition, {
        validationOptions: { noValidate: true },
      }),
      overrides: timeOverrides(prepared, options),
    };
    machines.set(arn, record);
    return { stateMachineArn: arn, creationDate: record.creationDate };
  }

  function startExecution(request: StartExecutionRequest): StartExecutionOutput {
    const sm = machine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    if (!NAME.test(name)) throw new LocalStepFunctionsError('InvalidName', `Invalid Name: '${name}'`);
    const inputText = request.input ?? '{}';
    // The API's length constraint on `input`, counted in UTF-8 bytes; AWS validates it before anything else.
    if (Buffer.byteLength(inputText, 'utf8') > PAYLOAD_LIMIT_BYTES) {
      throw new LocalStepFunctionsError(
        'ValidationException',
        `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${PAYLOAD_LIMIT_BYTES}`,
      );
    }
    let input: unknown;
    try {
      input = JSON.parse(inputText);
    } catch (error) {
      throw new LocalStepFunctionsError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${inputText.slice(0, 100)}'`,
        { cause: error },
      );
    }
    const executionArn = `arn:aws:states:${region}:${accountId}:execution:${sm.name}:${name}`;
    const existing = executions.get(executionArn);
    if (existing) {
      // Idempotent while the execution runs with the same input; otherwise the name is taken.
      // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
      if (existing.status === 'RUNNING' && existing.input === inputText)
        return { executionArn, startDate: existing.startDate };
      throw new LocalStepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record = run(sm, { executionArn, stateMachineArn: sm.arn, name }, inputText, input);
    executions.set(executionArn, record);
    return { executionArn, startDate: record.startDate };
  }

  function run(sm: MachineRecord, summary: ExecutionSummary, inputText: string, input: unknown): ExecutionRecord {
    const controller = new AbortController();
    // Every task under way listens for the execution to stop: a Map of 50 targets has 50 at once.
    setMaxListeners(0, controller.signal);
    // A quota reached (service-limits.ts) fails the execution at once, past every Catch: the run is
    // aborted and its history ends with ExecutionFailed carrying the quota's error and cause.
    // It may be reached while the library starts the run (the first state's input), before there
    // is a run to abort: the abort then happens as soon as there is one.
    let limitFailure: LimitFailure | undefined;
    let stopRequest: { error?: string; cause?: string } | undefined;
    let settled = false;
    let abortRun: () => void = () => undefined;
    const failOnLimit = (failure: LimitFailure) => {
      if (limitFailure || stopRequest || settled) return;
      limitFailure = failure;
      history.halt();
      abortRun();
      controller.abort();
    };
    const history = new ExecutionHistory(
      sm.prepared,
      (event) => {
        try {
          options.onEvent?.(event, summary);
        } catch (error) {
          logger.error('onEvent failed', { error });
        }
      },
      failOnLimit,
    );
    const context = new ExecutionContext(controller.signal, history, tokens, failOnLimit);
    const startDate = new Date();
    history.add({
      type: 'ExecutionStarted',
      timestamp: startDate,
      executionStartedEventDetails: { input: inputText, inputDetails: { truncated: false }, roleArn: sm.roleArn },
    });
    const handlers = Object.fromEntries(
      [...sm.prepared.tasks.values()].map((spec) => [spec.stateName, createTaskHandler(spec, deps, context)]),
    );
    const execution = sm.runnable.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never, ...sm.overrides },
      context: context.contextObject(
        {
          Id: summary.executionArn,
          Name: summary.name,
          Input: input,
          StartTime: startDate.toISOString(),
          RoleArn: sm.roleArn,
        },
        { Id: sm.arn, Name: sm.name },
      ),
    });
    abortRun = () => execution.abort();
    if (limitFailure) abortRun();
    const consumed = (async () => {
      for await (const event of execution.eventLogs) history.fromLibrary(event);
    })();

    const record: ExecutionRecord = {
      ...summary,
      input: inputText,
      status: 'RUNNING',
      startDate,
      history,
      stop(error, cause) {
        if (record.status !== 'RUNNING') return;
        stopRequest = { error, cause };
        record.status = 'ABORTED';
        record.stopDate = new Date();
        record.error = error;
        record.cause = cause;
        execution.abort();
        controller.abort();
      },
      done: Promise.resolve(),
    };

    record.done = (async () => {
      let final: NewHistoryEvent;
      try {
        // Status and output are set once the event log is read (below): it may still reach a quota.
        const output = json(await execution.result);
        final = {
          type: 'ExecutionSucceeded',
          executionSucceededEventDetails: { output, outputDetails: { truncated: false } },
        };
      } catch (error) {
        if (limitFailure) {
          // Recorded below, once the event log is read.
          final = { type: 'ExecutionFailed', executionFailedEventDetails: { ...limitFailure } };
        } else if (error instanceof ExecutionAbortedError || stopRequest) {
          final = {
            type: 'ExecutionAborted',
            executionAbortedEventDetails: { error: stopRequest?.error, cause: stopRequest?.cause },
          };
        } else if (error instanceof ExecutionTimeoutError) {
          record.status = 'TIMED_OUT';
          record.error = 'States.Timeout';
          record.cause = 'The execution ran longer than the TimeoutSeconds of its state machine';
          final = {
            type: 'ExecutionTimedOut',
            executionTimedOutEventDetails: { error: record.error, cause: record.cause },
          };
        } else {
          const cause =
            error instanceof ExecutionError && error.cause instanceof Error ? error.cause : (error as Error);
          record.status = 'FAILED';
          record.error = cause.name;
          record.cause = cause.message;
          final = {
            type: 'ExecutionFailed',
            executionFailedEventDetails: { error: record.error, cause: record.cause },
          };
        }
      }
      // Tasks still running (other Map iterations of a failed execution) are cancelled: builds stopped.
      controller.abort();
      // The last events may still reach a quota (the last state's output, the 25,000th event).
      await consumed;
      settled = true;
      if (limitFailure) {
        record.status = 'FAILED';
        record.error = limitFailure.error;
        record.cause = limitFailure.cause;
        final = { type: 'ExecutionFailed', executionFailedEventDetails: { ...limitFailure } };
      } else if (final.type === 'ExecutionSucceeded') {
        record.output = final.executionSucceededEventDetails!.output;
        record.status = 'SUCCEEDED';
      }
      record.stopDate ??= new Date();
      history.close(final);
    })();
    return record;
  }

  function describe(record: ExecutionRecord): DescribeExecutionOutput {
    return {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate,
      stopDate: record.status === 'RUNNING' ? undefined : record.stopDate,
      input: record.input,
      inputDetails: { included: true },
      ...(record.output === undefined ? {} : { output: record.output, outputDetails: { included: true } }),
      ...(record.error === undefined ? {} : { error: record.error }),
      ...(record.cause === undefined ? {} : { cause: record.cause }),
      redriveCount: 0,
    };
  }

  return {
    createStateMachine,
    describeStateMachine(stateMachineArn) {
      const sm = machine(stateMachineArn);
      return {
        stateMachineArn: sm.arn,
        name: sm.name,
        status: 'ACTIVE',
        definition: sm.definitionText,
        roleArn: sm.roleArn,
        type: 'STANDARD',
        creationDate: sm.creationDate,
      };
    },
    listStateMachines() {
      return {
        stateMachines: [...machines.values()].map((sm) => ({
          stateMachineArn: sm.arn,
          name: sm.name,
          type: 'STANDARD',
          creationDate: sm.creationDate,
        })),
      };
    },
    startExecution,
    describeExecution: (executionArn) => describe(execution(executionArn)),
    listExecutions(request) {
      const sm = machine(request.stateMachineArn);
      const items: ExecutionListItem[] = [...executions.values()]
        .filter(
          (record) =>
            record.stateMachineArn === sm.arn && (!request.statusFilter || record.status === request.statusFilter),
        )
        .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
        .map((record) => {
          const { executionArn, stateMachineArn, name, status, startDate, stopDate } = describe(record);
          return { executionArn, stateMachineArn, name, status, startDate, stopDate };
        });
      const page = paginate(items, request.maxResults, request.nextToken);
      return { executions: page.items, nextToken: page.nextToken };
    },
    getExecutionHistory(request) {
      const record = execution(request.executionArn);
      let events = [...record.history.events];
      if (request.reverseOrder) events.reverse();
      if (request.includeExecutionData === false) events = events.map(withoutData);
      const page = paginate(events, request.maxResults, request.nextToken);
      return { events: page.items, nextToken: page.nextToken };
    },
    stopExecution(request) {
      const record = execution(request.executionArn);
      record.stop(request.error, request.cause);
      return { stopDate: record.stopDate ?? new Date() };
    },
    sendTaskSuccess(request) {
      // The API's length constraint on `output`, as on StartExecution's input.
      if (Buffer.byteLength(request.output, 'utf8') > PAYLOAD_LIMIT_BYTES) {
        throw new LocalStepFunctionsError(
          'ValidationException',
          `1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length less than or equal to ${PAYLOAD_LIMIT_BYTES}`,
        );
      }
      tokens.succeed(request.taskToken, request.output);
    },
    sendTaskFailure: (request) => tokens.fail(request.taskToken, request.error, request.cause),
    sendTaskHeartbeat: (request) => tokens.heartbeat(request.taskToken),
    async waitForExecution(executionArn, waitOptions = {}) {
      const record = execution(executionArn);
      if (waitOptions.timeoutMs === undefined) {
        await record.done;
      } else {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new LocalStepFunctionsError(
                  'ValidationException',
                  `${executionArn} is still ${record.status} after ${waitOptions.timeoutMs} ms`,
                ),
              ),
            waitOptions.timeoutMs,
          );
        });
        await Promise.race([record.done, timedOut]).finally(() => clearTimeout(timer));
      }
      return describe(record);
    },
    async close() {
      const running = [...executions.values()].filter((record) => record.status === 'RUNNING');
      for (const record of running) record.stop('LocalStepFunctionsClosed', 'the local Step Functions was closed');
      await Promise.all([...executions.values()].map((record) => record.done));
    },
  };
}

function resolveCodeBuild(codebuild: LocalStepFunctionsOptions['codebuild']): CodeBuildApi {
  if (!codebuild) return (defaultCodeBuild ??= codeBuildApiFromClient(new CodeBuildClient({})));
  return codebuild instanceof CodeBuildClient ? codeBuildApiFromClient(codebuild) : codebuild;
}

/** aws-local-stepfunctions' retryIntervalOverrides / waitTimeOverrides (milliseconds) for fastRetries and timeScale. */
function timeOverrides(prepared: PreparedDefinition, options: LocalStepFunctionsOptions): MachineRecord['overrides'] {
  const scale = options.timeScale ?? 1;
  const retryIntervalOverrides: Record<string, number | number[]> = {};
  const waitTimeOverrides: Record<string, number> = {};
  for (const [state, retriers] of prepared.retries) {
    if (options.fastRetries) retryIntervalOverrides[state] = 0;
    else if (scale !== 1) {
      retryIntervalOverrides[state] = retriers.map(
        (retrier) => Math.min(retrier.IntervalSeconds ?? 1, retrier.MaxDelaySeconds ?? Infinity) * 1000 * scale,
      );
    }
  }
  if (scale !== 1) for (const [state, seconds] of prepared.waits) waitTimeOverrides[state] = seconds * 1000 * scale;
  return { retryIntervalOverrides, waitTimeOverrides };
}

function paginate<T>(
  items: T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
): { items: T[]; nextToken?: string } {
  const size = Math.min(maxResults && maxResults > 0 ? maxResults : DEFAULT_PAGE, MAX_PAGE);
  let start = 0;
  if (nextToken) {
    start = Number(Buffer.from(nextToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0)
      throw new LocalStepFunctionsError('ValidationException', 'Invalid Token: nextToken');
  }
  const end = start + size;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { nextToken: Buffer.from(String(end)).toString('base64url') } : {}),
  };
}

/** GetExecutionHistory with includeExecutionData=false leaves out inputs and outputs. */
function withoutData(event: HistoryEvent): HistoryEvent {
  const copy: Record<string, unknown> = { ...event };
  for (const [key, value] of Object.entries(copy)) {
    if (key.endsWith('EventDetails') && value && typeof value === 'object') {
      const details: Record<string, unknown> = { ...value };
      for (const field of ['input', 'output', 'parameters', 'inputDetails', 'outputDetails']) delete details[field];
      copy[key] = details;
    }
  }
  return copy as unknown as HistoryEvent;
}

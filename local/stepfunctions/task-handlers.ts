import { randomUUID } from 'node:crypto';
import type { Build, StartBuildInput } from '@aws-sdk/client-codebuild';
import type { DescribeExecutionOutput, StartExecutionOutput } from '@aws-sdk/client-sfn';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { CodeBuildApi } from '../codebuild/codebuild-api.ts';
import { LocalCodeBuildError } from '../codebuild/errors.ts';
import { LocalStepFunctionsError, StatesTaskError } from './errors.ts';
import { json, type ExecutionHistory, type NewHistoryEvent } from './execution-history.ts';
import { lambdaTaskError, type InvokeLambda } from './lambda-invoker.ts';
import type { TaskSpec } from './prepare-definition.ts';
import {
  DATA_LIMIT_EXCEEDED,
  dataLimitCause,
  exceedsPayloadLimit,
  inputLimitFailure,
  type LimitFailure,
} from './service-limits.ts';
import { HEARTBEAT_TIMEOUT, type TaskTokens } from './task-tokens.ts';

/** What the task handlers call; one set per local Step Functions. */
export interface TaskDeps {
  invokeLambda: InvokeLambda;
  codebuild: CodeBuildApi;
  dynamodb: DynamoDBClient;
  tokens: TaskTokens;
  region: string;
  /** How often a `.sync` task polls BatchGetBuilds. */
  pollIntervalMs: number;
  logError: (message: string, error: unknown) => void;
  /** The Step Functions these tasks run in, for child executions (states:startExecution.sync:2). */
  executions: ChildExecutions;
}

/** What a states:startExecution.sync:2 task needs of the Step Functions it runs in. */
export interface ChildExecutions {
  start(request: { stateMachineArn: string; name?: string; input?: string }): StartExecutionOutput;
  /** Resolves once the execution has ended. */
  wait(executionArn: string): Promise<DescribeExecutionOutput>;
  stop(executionArn: string, error?: string, cause?: string): void;
}

/** One attempt of a Task state, as the execution saw it when the library evaluated its Parameters. */
export interface TaskAttempt {
  input: unknown;
  /** The task token `$$.Task.Token` produced for this attempt, when the input holds it. */
  token?: string;
  /** Ends the attempt; a state entered again later with the same input gets a new EnteredTime. */
  settle(succeeded: boolean): void;
}

/** The execution a handler runs in. */
export interface TaskExecution {
  /** Aborted when the execution stops (StopExecution, failure, timeout). */
  signal: AbortSignal;
  history: ExecutionHistory;
  /** Must be called synchronously when the library calls the handler (see create-local-step-functions.ts). */
  beginAttempt(stateName: string, input: unknown): TaskAttempt;
  /** Fails the execution on a quota, past every Catch. */
  failOnLimit(failure: LimitFailure): void;
}

export type LocalTaskHandler = (input: unknown) => Promise<unknown>;

interface TaskCall {
  spec: TaskSpec;
  deps: TaskDeps;
  input: unknown;
  token?: string;
  /** Aborted when the execution stops or the library timed the task out: stop the work, record nothing more. */
  signal: AbortSignal;
  record(event: NewHistoryEvent): void;
}

type KindHandler = (call: TaskCall) => Promise<unknown>;

/** Lets the library's States.Timeout win over the cleanup timer below. */
const TIMEOUT_GRACE_MS = 50;

const KIND_HANDLERS: Record<TaskSpec['kind'], KindHandler> = {
  lambda: runLambdaFunction,
  'lambda:invoke': runLambdaInvoke,
  'lambda:invoke.waitForTaskToken': runLambdaInvokeWaitForToken,
  'codebuild:startBuild': runCodeBuild,
  'codebuild:startBuild.sync': runCodeBuild,
  'states:startExecution.sync:2': runChildExecution,
  dynamodb: runDynamoDb,
};

const DYNAMODB_COMMANDS = {
  putItem: PutItemCommand,
  getItem: GetItemCommand,
  updateItem: UpdateItemCommand,
  deleteItem: DeleteItemCommand,
} as const;

/**
 * The handler that replaces one Task state's Resource in aws-local-stepfunctions
 * (`overrides.taskResourceLocalHandlers[stateName]`). It calls the service the real integration calls
 * and fails with the error names the real integration uses, so Retry and Catch behave the same.
 */
export function createTaskHandler(spec: TaskSpec, deps: TaskDeps, execution: TaskExecution): LocalTaskHandler {
  const handler = KIND_HANDLERS[spec.kind];
  return (rawInput) => {
    // Synchronous on purpose: the token and EnteredTime of this attempt were produced just before this call.
    const attempt = execution.beginAttempt(spec.stateName, rawInput);
    // States.DataLimitExceeded: the state's input after Parameters is over the quota. The execution
    // fails as it does on AWS, whatever the Catch; the task never runs.
    if (exceedsPayloadLimit(attempt.input)) {
      const failure = inputLimitFailure(spec.stateName);
      // Once the event log has caught up, so that the history has the state's Entered event.
      const refused = flushEventLog().then(() => {
        execution.failOnLimit(failure);
        throw new StatesTaskError(failure.error, failure.cause);
      });
      refused.catch(() => undefined);
      return refused;
    }
    const running = (async () => {
      const cancel = new AbortController();
      const onStop = () => cancel.abort(new Error('the execution stopped'));
      execution.signal.addEventListener('abort', onStop, { once: true });
      let timer: NodeJS.Timeout | undefined;
      try {
        // Lets the execution's event log catch up, so that this task's events follow its StateEntered.
        await flushEventLog();
        // aws-local-stepfunctions enforces TimeoutSeconds (States.Timeout, with its own timer, started
        // before this one); this timer only stops the work behind the task once that has happened.
        if (spec.timeoutSeconds !== undefined) {
          timer = setTimeout(
            () => cancel.abort(new Error('the task timed out')),
            spec.timeoutSeconds * 1000 + TIMEOUT_GRACE_MS,
          );
        }
        const call: TaskCall = {
          spec,
          deps,
          input: attempt.input,
          token: attempt.token,
          signal: cancel.signal,
          record: (event) => {
            if (!cancel.signal.aborted) execution.history.add(event);
          },
        };
        if (execution.signal.aborted) throw new Error('the execution stopped');
        const result = await handler(call);
        attempt.settle(true);
        return result;
      } catch (error) {
        attempt.settle(false);
        throw error;
      } finally {
        clearTimeout(timer);
        execution.signal.removeEventListener('abort', onStop);
        // Ends what the attempt may have left behind, e.g. the token wait of an invoke that failed.
        cancel.abort(new Error('the task ended'));
      }
    })();
    // The library may fail the state before it awaits this (a TimeoutSecondsPath it cannot read):
    // the rejection is then nobody's, and must not end the process.
    running.catch(() => undefined);
    return running;
  };
}

function flushEventLog(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// --- Lambda -----------------------------------------------------------------------------------------

/** `Resource: arn:aws:lambda:…:function:name`: the state input is the event, the result the output. */
async function runLambdaFunction(call: TaskCall): Promise<unknown> {
  const { spec, deps, input } = call;
  call.record({
    type: 'LambdaFunctionScheduled',
    lambdaFunctionScheduledEventDetails: {
      resource: spec.resource,
      input: json(input),
      inputDetails: { truncated: false },
      ...(spec.timeoutSeconds === undefined ? {} : { timeoutInSeconds: spec.timeoutSeconds }),
    },
  });
  call.record({ type: 'LambdaFunctionStarted' });
  let result: unknown;
  try {
    result = toJson(await deps.invokeLambda(functionNameOf(spec.resource), input));
  } catch (error) {
    const failure = lambdaTaskError(error);
    call.record({ type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: failure });
    throw new StatesTaskError(failure.error, failure.cause, { cause: error });
  }
  if (exceedsPayloadLimit(result)) {
    const failure = { error: DATA_LIMIT_EXCEEDED, cause: dataLimitCause(spec.resource) };
    call.record({ type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: failure });
    throw new StatesTaskError(failure.error, failure.cause);
  }
  call.record({
    type: 'LambdaFunctionSucceeded',
    lambdaFunctionSucceededEventDetails: { output: json(result), outputDetails: { truncated: false } },
  });
  return result;
}

/** `arn:aws:states:::lambda:invoke`: Parameters `{ FunctionName, Payload }`, result `{ Payload, StatusCode, … }`. */
async function runLambdaInvoke(call: TaskCall): Promise<unknown> {
  const parameters = invokeParameters(call);
  scheduled(call);
  if (parameters.invocationType === 'Event') {
    void call.deps
      .invokeLambda(parameters.functionName, parameters.payload, { invocationType: 'Event' })
      .catch((error: unknown) => call.deps.logError(`asynchronous invoke of ${parameters.functionName} failed`, error));
    return succeeded(call, invokeResult('', 202));
  }
  const payload = await invokeOrFail(call, parameters);
  return succeeded(call, invokeResult(payload, 200));
}

/** `arn:aws:states:::lambda:invoke.waitForTaskToken`: invokes, then waits for SendTaskSuccess/Failure. */
async function runLambdaInvokeWaitForToken(call: TaskCall): Promise<unknown> {
  const { token } = call;
  if (!token) {
    throw new StatesTaskError(
      'States.Runtime',
      `the Task state ${call.spec.stateName} waits for a task token but its Parameters do not pass $$.Task.Token`,
    );
  }
  const parameters = invokeParameters(call);
  scheduled(call);
  const completion = call.deps.tokens.wait(token, {
    heartbeatSeconds: call.spec.heartbeatSeconds,
    signal: call.signal,
  });
  // Observed below; until then a rejection (heartbeat, abort) must not count as unhandled.
  completion.catch(() => undefined);
  const payload = await invokeOrFail(call, parameters);
  call.record({
    type: 'TaskSubmitted',
    taskSubmittedEventDetails: {
      ...resourceOf(call),
      output: json(invokeResult(payload, 200)),
      outputDetails: { truncated: false },
    },
  });
  let output: unknown;
  try {
    output = await completion;
  } catch (error) {
    if (error instanceof StatesTaskError) {
      const details = { ...resourceOf(call), error: error.error, cause: error.causeText };
      if (error.error === HEARTBEAT_TIMEOUT) call.record({ type: 'TaskTimedOut', taskTimedOutEventDetails: details });
      else call.record({ type: 'TaskFailed', taskFailedEventDetails: details });
    }
    throw error;
  }
  return succeeded(call, output);
}

interface InvokeParameters {
  functionName: string;
  payload: unknown;
  invocationType: string;
}

function invokeParameters(call: TaskCall): InvokeParameters {
  const parameters = (call.input ?? {}) as Record<string, unknown>;
  if (typeof parameters.FunctionName !== 'string' || parameters.FunctionName === '') {
    throw new StatesTaskError(
      'States.Runtime',
      `the Task state ${call.spec.stateName} has no FunctionName in its Parameters`,
    );
  }
  return {
    functionName: functionNameOf(parameters.FunctionName),
    payload: parameters.Payload ?? {},
    invocationType: typeof parameters.InvocationType === 'string' ? parameters.InvocationType : 'RequestResponse',
  };
}

async function invokeOrFail(call: TaskCall, parameters: InvokeParameters): Promise<unknown> {
  try {
    return toJson(await call.deps.invokeLambda(parameters.functionName, parameters.payload));
  } catch (error) {
    const failure = lambdaTaskError(error);
    call.record({ type: 'TaskFailed', taskFailedEventDetails: { ...resourceOf(call), ...failure } });
    throw new StatesTaskError(failure.error, failure.cause, { cause: error });
  }
}

/** The output of the optimized Lambda integration. */
function invokeResult(payload: unknown, statusCode: number): Record<string, unknown> {
  const requestId = randomUUID();
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload,
    SdkHttpMetadata: { HttpHeaders: { 'x-amzn-RequestId': requestId }, HttpStatusCode: statusCode },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: statusCode,
  };
}

/** `arn:…:function:name[:qualifier]` or a plain name → the function's name. */
export function functionNameOf(functionNameOrArn: string): string {
  const match = /(?:^|:)function:([^:]+)/.exec(functionNameOrArn);
  return match ? match[1]! : functionNameOrArn;
}

// --- CodeBuild --------------------------------------------------------------------------------------

/**
 * `arn:aws:states:::codebuild:startBuild[.sync]`: Parameters in the API's PascalCase. `.sync` waits for
 * the build; its output is `{ Build }` in PascalCase, and a build that does not succeed fails the task
 * with States.TaskFailed and that same JSON as Cause. A stopped execution stops the build.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-codebuild.html
 */
async function runCodeBuild(call: TaskCall): Promise<unknown> {
  const { deps, signal } = call;
  scheduled(call);
  let build: Build | undefined;
  try {
    build = (await deps.codebuild.startBuild(camelKeys(call.input) as StartBuildInput)).build;
  } catch (error) {
    const failure = codeBuildFailure(error);
    call.record({ type: 'TaskFailed', taskFailedEventDetails: { ...resourceOf(call), ...failure } });
    throw new StatesTaskError(failure.error, failure.cause, { cause: error });
  }
  if (call.spec.kind === 'codebuild:startBuild') return succeeded(call, { Build: pascalKeys(build) });
  call.record({
    type: 'TaskSubmitted',
    taskSubmittedEventDetails: {
      ...resourceOf(call),
      output: json({ Build: pascalKeys(build) }),
      outputDetails: { truncated: false },
    },
  });
  const id = build?.id ?? '';
  try {
    while (!build?.buildComplete) {
      await sleep(deps.pollIntervalMs, signal);
      build = (await deps.codebuild.batchGetBuilds({ ids: [id] })).builds?.[0];
      if (!build) throw new StatesTaskError('States.TaskFailed', `the build ${id} is gone`);
    }
  } catch (error) {
    if (signal.aborted) {
      await deps.codebuild
        .stopBuild({ id })
        .catch((stopError: unknown) => deps.logError(`could not stop the build ${id}`, stopError));
    }
    throw error;
  }
  return syncEnded(call, build.buildStatus === 'SUCCEEDED', { Build: pascalKeys(build) });
}

/**
 * The exceptions CodeBuild's API models (its SDKs have a class for each). Step Functions names a
 * failed call `CodeBuild.<class>`, as it does for its other optimized integrations (e.g.
 * `CodeBuild.AccountLimitExceededException` when the build queue is full, `DynamoDB.…`, `Lambda.…`);
 * an error CodeBuild does not model (ThrottlingException, a 5xx) gets the service's base class,
 * `CodeBuild.AWSCodeBuildException`, as `Lambda.AWSLambdaException` is Lambda's.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
const CODEBUILD_EXCEPTIONS = new Set([
  'AccountLimitExceededException',
  'AccountSuspendedException',
  'InvalidInputException',
  'OAuthProviderException',
  'ResourceAlreadyExistsException',
  'ResourceNotFoundException',
]);

/**
 * A failed StartBuild as the task fails: the error name Retry and Catch match, and a Cause worded as
 * Step Functions words a service's error. The local CodeBuild's own errors carry their API code (`code`);
 * an SDK client's carry it as their `name`, with `$metadata`; anything else never reached the service.
 */
function codeBuildFailure(error: unknown): { error: string; cause: string } {
  const {
    name = 'Error',
    message = String(error),
    $metadata,
  } = (error ?? {}) as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; requestId?: string };
  };
  // A network error has no status: it never reached CodeBuild.
  const errorCode =
    error instanceof LocalCodeBuildError ? error.code : $metadata?.httpStatusCode === undefined ? undefined : name;
  if (errorCode === undefined) return { error: 'CodeBuild.SdkClientException', cause: message };
  const status = $metadata?.httpStatusCode ?? 400;
  return {
    error: `CodeBuild.${CODEBUILD_EXCEPTIONS.has(errorCode) ? errorCode : 'AWSCodeBuildException'}`,
    cause: `${message} (Service: AWSCodeBuild; Status Code: ${status}; Error Code: ${errorCode}; Request ID: ${$metadata?.requestId ?? randomUUID()}; Proxy: null)`,
  };
}

// --- Step Functions -------------------------------------------------------------------------------

/**
 * `arn:aws:states:::states:startExecution.sync:2`: Parameters `{ StateMachineArn, Input, Name }` (Input
 * an object or JSON text). Waits for the child execution; the output is DescribeExecution's in
 * PascalCase with Input and Output as JSON (`:2`), timestamps in epoch milliseconds. A child that does
 * not succeed fails the task with States.TaskFailed and that same JSON as Cause. A stopped parent
 * stops the child, as Step Functions does for `.sync`.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html
 */
async function runChildExecution(call: TaskCall): Promise<unknown> {
  const { deps, signal } = call;
  const parameters = (call.input ?? {}) as Record<string, unknown>;
  scheduled(call);
  let started: StartExecutionOutput;
  try {
    if (typeof parameters.StateMachineArn !== 'string')
      throw Object.assign(new Error('StateMachineArn is required'), { name: 'InvalidArn' });
    const input = parameters.Input;
    started = deps.executions.start({
      stateMachineArn: parameters.StateMachineArn,
      ...(typeof parameters.Name === 'string' ? { name: parameters.Name } : {}),
      input: typeof input === 'string' ? input : JSON.stringify(input ?? {}),
    });
  } catch (error) {
    // Named as the API names it, e.g. StepFunctions.ExecutionLimitExceeded (the Step Functions guide's
    // Retry): the local API's errors carry that code.
    const name =
      error instanceof LocalStepFunctionsError
        ? error.code
        : error instanceof Error
          ? error.name
          : 'SdkClientException';
    const failure = {
      error: `StepFunctions.${name}`,
      cause: error instanceof Error ? error.message : String(error),
    };
    call.record({ type: 'TaskFailed', taskFailedEventDetails: { ...resourceOf(call), ...failure } });
    throw new StatesTaskError(failure.error, failure.cause, { cause: error });
  }
  const executionArn = started.executionArn ?? '';
  call.record({
    type: 'TaskSubmitted',
    taskSubmittedEventDetails: {
      ...resourceOf(call),
      output: json({ ExecutionArn: executionArn, StartDate: started.startDate?.getTime() }),
      outputDetails: { truncated: false },
    },
  });
  const onStop = () =>
    deps.executions.stop(executionArn, 'States.Aborted', 'the parent execution stopped, and with it this child');
  signal.addEventListener('abort', onStop, { once: true });
  let ended: DescribeExecutionOutput;
  try {
    ended = await deps.executions.wait(executionArn);
  } finally {
    signal.removeEventListener('abort', onStop);
  }
  if (signal.aborted) throw signal.reason as Error;
  const parse = (text: string | undefined) => (text === undefined ? undefined : (JSON.parse(text) as unknown));
  const output = {
    ExecutionArn: ended.executionArn,
    Input: parse(ended.input),
    InputDetails: { Included: true },
    Name: ended.name,
    ...(ended.output === undefined ? {} : { Output: parse(ended.output), OutputDetails: { Included: true } }),
    StartDate: ended.startDate?.getTime(),
    StateMachineArn: ended.stateMachineArn,
    Status: ended.status,
    StopDate: ended.stopDate?.getTime(),
    ...(ended.error === undefined ? {} : { Error: ended.error }),
    ...(ended.cause === undefined ? {} : { Cause: ended.cause }),
  };
  return syncEnded(call, ended.status === 'SUCCEEDED', output);
}

// --- DynamoDB ---------------------------------------------------------------------------------------

/**
 * `arn:aws:states:::dynamodb:putItem|getItem|updateItem|deleteItem`: the Parameters are the API input
 * (low-level attribute values); a failure is named `DynamoDB.<Exception>` as the integration names it.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html
 */
async function runDynamoDb(call: TaskCall): Promise<unknown> {
  // One constructor type stands for the four: the Parameters are that operation's input by construction.
  const Command = DYNAMODB_COMMANDS[call.spec.operation as keyof typeof DYNAMODB_COMMANDS] as typeof PutItemCommand;
  scheduled(call);
  let output: Record<string, unknown>;
  try {
    output = { ...(await call.deps.dynamodb.send(new Command(call.input as PutItemCommandInput))) };
  } catch (error) {
    const failure = dynamoDbFailure(error);
    call.record({ type: 'TaskFailed', taskFailedEventDetails: { ...resourceOf(call), ...failure } });
    throw new StatesTaskError(failure.error, failure.cause, { cause: error });
  }
  const { $metadata, ...rest } = output as { $metadata?: { requestId?: string; httpStatusCode?: number } };
  const requestId = $metadata?.requestId ?? randomUUID();
  return succeeded(
    call,
    toJson({
      ...rest,
      SdkHttpMetadata: {
        HttpHeaders: { 'x-amzn-RequestId': requestId },
        HttpStatusCode: $metadata?.httpStatusCode ?? 200,
      },
      SdkResponseMetadata: { RequestId: requestId },
    }),
  );
}

function dynamoDbFailure(error: unknown): { error: string; cause: string } {
  const {
    name = 'Error',
    message = String(error),
    $metadata,
  } = (error ?? {}) as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; requestId?: string };
  };
  if (!$metadata) return { error: 'DynamoDB.SdkClientException', cause: message };
  return {
    error: `DynamoDB.${name}`,
    cause: `${message} (Service: AmazonDynamoDBv2; Status Code: ${$metadata.httpStatusCode ?? 400}; Error Code: ${name}; Request ID: ${$metadata.requestId ?? ''}; Proxy: null)`,
  };
}

// --- shared -----------------------------------------------------------------------------------------

function resourceOf(call: TaskCall): { resourceType: string; resource: string } {
  return { resourceType: call.spec.eventResourceType, resource: call.spec.eventResource };
}

function scheduled(call: TaskCall): void {
  const { spec, deps, input } = call;
  call.record({
    type: 'TaskScheduled',
    taskScheduledEventDetails: {
      ...resourceOf(call),
      region: deps.region,
      parameters: json(input),
      ...(spec.timeoutSeconds === undefined ? {} : { timeoutInSeconds: spec.timeoutSeconds }),
      ...(spec.heartbeatSeconds === undefined ? {} : { heartbeatInSeconds: spec.heartbeatSeconds }),
    },
  });
  call.record({ type: 'TaskStarted', taskStartedEventDetails: resourceOf(call) });
}

/**
 * The task's result. One over 256 KiB fails the task with States.DataLimitExceeded instead: on AWS
 * that failure is the task's, so Retry and Catch see it (as recorded against AWS in LocalStack's
 * tests/aws/services/stepfunctions/v2/error_handling/test_states_errors.snapshot.json, where a
 * States.ALL Catch takes it), unlike a state output over the quota (execution-history.ts).
 */
function succeeded(call: TaskCall, output: unknown): unknown {
  if (exceedsPayloadLimit(output)) {
    const failure = { error: DATA_LIMIT_EXCEEDED, cause: dataLimitCause(call.spec.eventResourceType) };
    call.record({ type: 'TaskFailed', taskFailedEventDetails: { ...resourceOf(call), ...failure } });
    throw new StatesTaskError(failure.error, failure.cause);
  }
  call.record({
    type: 'TaskSucceeded',
    taskSucceededEventDetails: { ...resourceOf(call), output: json(output), outputDetails: { truncated: false } },
  });
  return output;
}

/**
 * The end of a `.sync` task whose job (a build, a child execution) has ended: its description is the
 * result when it succeeded; otherwise the task fails with States.TaskFailed and that same JSON as Cause.
 */
function syncEnded(call: TaskCall, ok: boolean, output: unknown): unknown {
  if (ok) return succeeded(call, output);
  const cause = json(output);
  call.record({
    type: 'TaskFailed',
    taskFailedEventDetails: { ...resourceOf(call), error: 'States.TaskFailed', cause },
  });
  throw new StatesTaskError('States.TaskFailed', cause);
}

/** A value as it looks after a trip through JSON, binary as base64 (the wire format). */
function toJson(value: unknown): unknown {
  const text = JSON.stringify(value ?? null, (_key, item: unknown) =>
    item instanceof Uint8Array ? Buffer.from(item).toString('base64') : item,
  );
  return JSON.parse(text) as unknown;
}

/** Step Functions passes service parameters in PascalCase even where the API is camelCase. */
function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [`${key.charAt(0).toLowerCase()}${key.slice(1)}`, camelKeys(item)]),
  );
}

/** …and returns service results in PascalCase, timestamps in epoch milliseconds. */
function pascalKeys(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map(pascalKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => [`${key.charAt(0).toUpperCase()}${key.slice(1)}`, pascalKeys(item)]),
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

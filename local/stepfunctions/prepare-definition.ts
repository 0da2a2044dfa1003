import { LocalStepFunctionsError } from './errors.ts';

export type TaskKind =
  | 'lambda'
  | 'lambda:invoke'
  | 'lambda:invoke.waitForTaskToken'
  | 'codebuild:startBuild'
  | 'codebuild:startBuild.sync'
  | 'states:startExecution.sync:2'
  | 'dynamodb';

/** One Task state of the definition, with what the local handler needs to run it. */
export interface TaskSpec {
  stateName: string;
  /** `Resource` as written. */
  resource: string;
  kind: TaskKind;
  /** `resourceType` and `resource` of the Task* history events (`lambda` / `invoke.waitForTaskToken`). */
  eventResourceType: string;
  eventResource: string;
  /** The DynamoDB operation (`putItem`…) for `dynamodb` tasks. */
  operation?: string;
  /** `TimeoutSeconds` as written (absent: Step Functions' default, effectively none). */
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
}

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxDelaySeconds?: number;
}

export interface PreparedDefinition {
  /** The definition aws-local-stepfunctions runs (see `prepareDefinition`). */
  runnable: Record<string, unknown>;
  tasks: Map<string, TaskSpec>;
  /** Retry fields by state name (for the retry interval overrides). */
  retries: Map<string, Retrier[]>;
  /** `Seconds` of Wait states by state name (for the wait time overrides). */
  waits: Map<string, number>;
  /** `InputPath` / `ItemsPath` of Map states, to report how many items a Map state started with. */
  maps: Map<string, { inputPath?: string; itemsPath?: string }>;
}

/**
 * Without TimeoutSeconds a Task waits as long as the execution may run (a year) on Step Functions, but
 * aws-local-stepfunctions gives it 60 s; this is the longest delay a Node.js timer takes (~24.8 days).
 */
export const UNBOUNDED_TASK_TIMEOUT_SECONDS = 2_147_483;

const LAMBDA_ARN = /^arn:[^:]+:lambda:[^:]+:[^:]+:function:[^:]+(:[^:]+)?$/;
const INTEGRATION = /^arn:[^:]+:states:::([a-z0-9-]+):([A-Za-z]+)(\.sync:2|\.sync|\.waitForTaskToken)?$/;
const DYNAMODB_OPERATIONS = new Set(['putItem', 'getItem', 'updateItem', 'deleteItem']);
const SUB_MACHINE_KEYS = ['ItemProcessor', 'Iterator', 'Branches'];

interface Machine {
  StartAt?: unknown;
  States?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

/**
 * Checks that every Task resource has a local handler and derives the copy that runs locally:
 * - a Task without TimeoutSeconds gets UNBOUNDED_TASK_TIMEOUT_SECONDS;
 * - `$$.Execution…` paths read `$$.RootExecution…`, because aws-local-stepfunctions gives each Map
 *   iteration a context whose Execution.Input is the iteration's input, not the execution's;
 * - `"x.$": "$$.State.Name"` becomes the state's name (the library's context has no State.Name).
 * The definition given is not changed.
 */
export function prepareDefinition(definition: Record<string, unknown>): PreparedDefinition {
  const prepared: PreparedDefinition = {
    runnable: {},
    tasks: new Map(),
    retries: new Map(),
    waits: new Map(),
    maps: new Map(),
  };
  prepared.runnable = prepareMachine(definition as Machine, prepared, new Set());
  return prepared;
}

function prepareMachine(machine: Machine, prepared: PreparedDefinition, names: Set<string>): Record<string, unknown> {
  const { States: states, ...rest } = machine;
  if (typeof states !== 'object' || states === null)
    throw new LocalStepFunctionsError('InvalidDefinition', 'a state machine needs States');
  const out: Record<string, unknown> = { ...rest, States: {} };
  for (const [name, state] of Object.entries(states)) {
    if (names.has(name))
      throw new LocalStepFunctionsError(
        'InvalidDefinition',
        `the state name ${name} is used twice; state names must be unique`,
      );
    names.add(name);
    const fields = Object.fromEntries(Object.entries(state).filter(([key]) => !SUB_MACHINE_KEYS.includes(key)));
    const copy = rewrite(fields, name) as Record<string, unknown>;
    switch (state.Type) {
      case 'Task': {
        const spec = classify(name, state);
        prepared.tasks.set(name, spec);
        if (copy.TimeoutSeconds === undefined && copy.TimeoutSecondsPath === undefined)
          copy.TimeoutSeconds = UNBOUNDED_TASK_TIMEOUT_SECONDS;
        if (typeof copy.TimeoutSecondsPath === 'string' && copy.Parameters !== undefined)
          copy.TimeoutSecondsPath = pathInParameters(name, copy.TimeoutSecondsPath, copy.Parameters);
        break;
      }
      case 'Map': {
        const processor = (state.ItemProcessor ?? state.Iterator) as Machine | undefined;
        if (!processor)
          throw new LocalStepFunctionsError('InvalidDefinition', `the Map state ${name} has no ItemProcessor`);
        copy[state.ItemProcessor ? 'ItemProcessor' : 'Iterator'] = prepareMachine(processor, prepared, names);
        prepared.maps.set(name, { inputPath: asString(state.InputPath), itemsPath: asString(state.ItemsPath) });
        break;
      }
      case 'Parallel': {
        const branches = Array.isArray(state.Branches) ? (state.Branches as Machine[]) : [];
        copy.Branches = branches.map((branch) => prepareMachine(branch, prepared, names));
        break;
      }
      case 'Wait':
        if (typeof state.Seconds === 'number') prepared.waits.set(name, state.Seconds);
        break;
    }
    if (Array.isArray(state.Retry)) prepared.retries.set(name, state.Retry as Retrier[]);
    (out.States as Record<string, unknown>)[name] = copy;
  }
  return out;
}

function classify(stateName: string, state: Record<string, unknown>): TaskSpec {
  const resource = typeof state.Resource === 'string' ? state.Resource : '';
  const base = {
    stateName,
    resource,
    timeoutSeconds: typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined,
    heartbeatSeconds: typeof state.HeartbeatSeconds === 'number' ? state.HeartbeatSeconds : undefined,
  };
  if (LAMBDA_ARN.test(resource))
    return { ...base, kind: 'lambda', eventResourceType: 'lambda', eventResource: resource };
  const match = INTEGRATION.exec(resource);
  if (match) {
    const [, service, action, suffix = ''] = match;
    const eventResource = `${action}${suffix}`;
    const kind = `${service}:${eventResource}`;
    if (
      kind === 'lambda:invoke' ||
      kind === 'lambda:invoke.waitForTaskToken' ||
      kind === 'codebuild:startBuild' ||
      kind === 'codebuild:startBuild.sync' ||
      kind === 'states:startExecution.sync:2'
    ) {
      return { ...base, kind, eventResourceType: service!, eventResource };
    }
    if (service === 'dynamodb' && suffix === '' && DYNAMODB_OPERATIONS.has(action!)) {
      return { ...base, kind: 'dynamodb', eventResourceType: service, eventResource, operation: action };
    }
  }
  throw new LocalStepFunctionsError(
    'InvalidDefinition',
    `the Task state ${stateName} uses ${resource || 'no Resource'}, which the local Step Functions cannot run ` +
      '(it runs Lambda function ARNs, lambda:invoke[.waitForTaskToken], codebuild:startBuild[.sync], states:startExecution.sync:2 and dynamodb:putItem/getItem/updateItem/deleteItem)',
  );
}

/**
 * Step Functions reads TimeoutSecondsPath from the state's input; aws-local-stepfunctions reads it
 * from the input after Parameters. The same value, when Parameters copies it (`"x.$": "$.a"` and
 * the path `$.a.b` become `$.x.b`, however deep `x` is nested): that path is what the library is given.
 */
function pathInParameters(stateName: string, path: string, parameters: unknown): string {
  const found = (value: unknown, at: string): string | undefined => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    for (const [field, item] of Object.entries(value)) {
      if (field.endsWith('.$') && typeof item === 'string' && item.startsWith('$.')) {
        if (path === item || path.startsWith(`${item}.`))
          return `${at}.${field.slice(0, -2)}${path.slice(item.length)}`;
        continue;
      }
      const inner = found(item, `${at}.${field}`);
      if (inner !== undefined) return inner;
    }
    return undefined;
  };
  const rewritten = found(parameters, '$');
  if (rewritten === undefined)
    throw new LocalStepFunctionsError(
      'InvalidDefinition',
      `the Task state ${stateName} reads TimeoutSecondsPath ${path} from its input, which its Parameters do not pass on: the local Step Functions can only read it after Parameters`,
    );
  return rewritten;
}

function rewrite(value: unknown, stateName: string, key?: string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewrite(item, stateName));
  if (typeof value === 'string')
    return isPathField(key) ? value.replace(/\$\$\.Execution\b/g, () => '$$.RootExecution') : value;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [field, item] of Object.entries(value)) {
    if (field.endsWith('.$') && item === '$$.State.Name') out[field.slice(0, -2)] = stateName;
    else out[field] = rewrite(item, stateName, field);
  }
  return out;
}

function isPathField(key: string | undefined): boolean {
  return (
    key !== undefined && (key.endsWith('.$') || key === 'Variable' || (key.endsWith('Path') && key !== 'ResultPath'))
  );
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

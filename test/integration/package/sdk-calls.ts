import { build, type Plugin } from 'esbuild';
import { AWS_SERVICES } from '../../../functions/lib/runtime/aws-fetch/aws-services.ts';

/**
 * Which AWS calls a function's code can make, read from its bundle rather than from what anyone
 * remembers: esbuild bundles `functions/<name>/handler.ts` as the packaging does, but keeps the AWS
 * SDK (and Powertools Parameters, which wraps it) outside the bundle and free of side effects. What
 * is left of the `import { … } from "@aws-sdk/…"` statements after esbuild's tree shaking is exactly
 * the SDK surface the function's code still reaches: each `…Command` (or paginator, or Powertools
 * getter) names one API call. The answer does not depend on whether the deployed bundles carry the
 * SDK or take the runtime's: the code paths are the same.
 *
 * A function that calls AWS without the SDK, through the light client (functions/lib/runtime/aws-fetch,
 * the webhook), names each call's IAM action at the call site as a string literal of the type
 * AwsAction (`'dynamodb:PutItem'`), and that literal is what the client sends (the JSON protocols
 * derive X-Amz-Target from it): every such literal left in the bundle after tree shaking is a call.
 *
 * The analysis is as precise as esbuild's tree shaking: a module whose exports are all kept (the
 * DynamoDB store object, whose methods every function gets) reaches every command it holds, even
 * on paths a given function never takes. The manifest says which of those a role does not grant,
 * and the simulator proves it does not.
 */

/** An import from an AWS package that this analysis cannot map to API calls (or to none). */
export class UnclassifiedSdkImportError extends Error {}

/** The packages whose imports are AWS API surface. */
const SDK = /^(@aws-sdk\/|@smithy\/|@aws-lambda-powertools\/parameters)/;

/** SDK client package → IAM service prefix. */
const SERVICE_PREFIX: Record<string, string> = {
  'client-codebuild': 'codebuild',
  'client-dynamodb': 'dynamodb',
  'client-lambda': 'lambda',
  'client-s3': 's3',
  'client-secrets-manager': 'secretsmanager',
  'client-sfn': 'states',
  'client-sqs': 'sqs',
  'client-sns': 'sns',
  'client-ssm': 'ssm',
  'client-sts': 'sts',
  'client-cloudwatch': 'cloudwatch',
};

/** API operations whose IAM action has another name (the Service Authorization Reference). */
const ACTION_OF_OPERATION: Record<string, string> = {
  'lambda:Invoke': 'lambda:InvokeFunction',
  's3:HeadObject': 's3:GetObject',
  's3:ListObjectsV2': 's3:ListBucket',
  's3:HeadBucket': 's3:ListBucket',
};

/** @aws-sdk/lib-dynamodb's document commands and paginators → the DynamoDB action each sends. */
const DOCUMENT_CLIENT: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
  BatchGetCommand: 'dynamodb:BatchGetItem',
  BatchWriteCommand: 'dynamodb:BatchWriteItem',
  TransactGetCommand: 'dynamodb:TransactGetItems',
  TransactWriteCommand: 'dynamodb:TransactWriteItems',
  ExecuteStatementCommand: 'dynamodb:PartiQLSelect',
  paginateQuery: 'dynamodb:Query',
  paginateScan: 'dynamodb:Scan',
};

/** Powertools Parameters' functions → the action each sends (its providers' sources). */
const POWERTOOLS: Record<string, Record<string, string>> = {
  '@aws-lambda-powertools/parameters/ssm': {
    getParameter: 'ssm:GetParameter',
    getParameters: 'ssm:GetParametersByPath',
    getParametersByName: 'ssm:GetParameters',
    setParameter: 'ssm:PutParameter',
  },
  '@aws-lambda-powertools/parameters/secrets': { getSecret: 'secretsmanager:GetSecretValue' },
};

/**
 * Imports that send nothing themselves: clients (a client sends only the commands given to it),
 * error classes, and the presigner, which signs the command passed to it (counted as that command:
 * a presigned URL carries the function role's permission).
 */
function sendsNothing(source: string, name: string): boolean {
  if (/^[A-Za-z0-9]+Client$/.test(name)) return true;
  if (/Exception$/.test(name) || ['NoSuchKey', 'ExecutionAlreadyExists'].includes(name)) return true;
  return source === '@aws-sdk/s3-request-presigner' && name === 'getSignedUrl';
}

/** The IAM action an imported name of an AWS package sends, null for none; throws when unknown. */
export function actionOf(source: string, name: string): string | null {
  if (sendsNothing(source, name)) return null;
  if (source === '@aws-sdk/lib-dynamodb' && DOCUMENT_CLIENT[name]) return DOCUMENT_CLIENT[name];
  const powertools = POWERTOOLS[source]?.[name];
  if (powertools) return powertools;
  const client = /^@aws-sdk\/(client-[a-z0-9-]+)$/.exec(source)?.[1];
  const prefix = client && SERVICE_PREFIX[client];
  const operation = /^(?:(\w+)Command|paginate(\w+))$/.exec(name);
  if (prefix && operation) {
    const action = `${prefix}:${operation[1] ?? operation[2]}`;
    return ACTION_OF_OPERATION[action] ?? action;
  }
  throw new UnclassifiedSdkImportError(
    `${name} from ${source}: say in sdk-calls.ts which AWS action it sends (or that it sends none)`,
  );
}

/**
 * AWS packages `require`d by bundled CommonJS code that send no request: the X-Ray SDK (under
 * Powertools Tracer) classifies SDK errors with this one.
 */
const REQUIRED_UTILITIES = ['@smithy/service-error-classification'];

/** The light client's folder: a bundle holding it is read for AwsAction literals. */
const LIGHT_CLIENT = 'functions/lib/runtime/aws-fetch/';

/** An AwsAction literal (`"dynamodb:PutItem"`) of one of the services the light client knows. */
const LIGHT_ACTION = new RegExp(`["'\`]((?:${Object.keys(AWS_SERVICES).join('|')}):[A-Z][A-Za-z0-9]*)["'\`]`, 'g');

/** The IAM actions a bundle's light-client call sites name. */
export function lightClientActions(bundleText: string): string[] {
  return [...new Set([...bundleText.matchAll(LIGHT_ACTION)].map((match) => match[1]!))].sort();
}

/** Keeps the AWS packages out of the bundle, as side-effect free: only imports still used remain. */
const sdkOutside: Plugin = {
  name: 'sdk-outside',
  setup(builder) {
    builder.onResolve({ filter: SDK }, (args) => ({ path: args.path, external: true, sideEffects: false }));
  },
};

/** The AWS actions the function whose handler is `entry` can send, sorted. */
export async function sdkCalls(entry: string, cwd: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: cwd,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    outdir: 'out',
    logLevel: 'silent',
    plugins: [sdkOutside],
  });
  const output = result.outputFiles.find((file) => file.path.endsWith('.js'));
  if (!output) throw new Error(`esbuild wrote no bundle for ${entry}`);
  // esbuild prints each external import as `import { a, b as c } from "pkg";` (a long list over
  // several lines); any other form is counted below but not read, and fails the comparison.
  const statements = [
    ...output.text.matchAll(/^import\s*(\{[^}]*\}|[\w$]+|\*\s*as\s*[\w$]+)\s*from\s*"([^"]+)";$/gm),
  ].filter(([, , source]) => SDK.test(source!));
  // Every SDK import of the metafile must be one of the statements read, or the reading missed one.
  const external = Object.values(result.metafile.outputs)
    .flatMap((file) => file.imports)
    .filter((item) => item.external && SDK.test(item.path));
  // require() and import() of AWS packages: only utilities known to send nothing.
  for (const item of external.filter((i) => i.kind !== 'import-statement')) {
    if (!REQUIRED_UTILITIES.includes(item.path)) {
      throw new UnclassifiedSdkImportError(`${entry}: ${item.kind} of ${item.path}: say in sdk-calls.ts what it sends`);
    }
  }
  const imported = external.filter((item) => item.kind === 'import-statement');
  if (imported.length !== statements.length) {
    throw new UnclassifiedSdkImportError(
      `${entry}: esbuild lists ${imported.length} AWS imports, ${statements.length} were read`,
    );
  }
  const actions = new Set<string>();
  if (Object.keys(result.metafile.inputs).some((input) => input.includes(LIGHT_CLIENT))) {
    for (const action of lightClientActions(output.text)) actions.add(action);
  }
  for (const [statement, clause, source] of statements) {
    const names = /^\{([^}]*)\}$/.exec(clause!)?.[1];
    if (names === undefined) throw new UnclassifiedSdkImportError(`${entry}: ${statement} is not a named import`);
    for (const item of names.split(',')) {
      const name = item.trim().split(/\s+as\s+/)[0]!;
      if (name === '') continue;
      const action = actionOf(source!, name);
      if (action) actions.add(action);
    }
  }
  return [...actions].sort();
}

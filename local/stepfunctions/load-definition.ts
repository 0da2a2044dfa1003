import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { parse, type CollectionTag, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';
import { PushgateError } from '../../functions/lib/errors.ts';

/** A reference in the definition that the options do not resolve; the message names it and where it is. */
export class DefinitionReferenceError extends PushgateError {}

export interface LoadDefinitionOptions {
  /** ARN of a serverless function, by its name under `functions:` (e.g. `validate`, `acquire-lock`). */
  functionArn: (functionName: string) => string;
  /**
   * Serverless variables by their text inside `${…}`: `self:service`, `sls:stage`,
   * `self:custom.planProjectName`, `opt:stage`… A variable that is a whole value keeps its type, as in
   * serverless; a numeric string in a numeric ASL field (MaxAttempts, TimeoutSeconds…) becomes a number.
   */
  vars: Record<string, string | number | boolean>;
  /** `Ref: X` and `Fn::GetAtt: [X, Attr]` of resources other than functions: `X` and `X.Attr`. */
  refs: Record<string, string>;
  /**
   * The function names of serverless.yml. With them, logical ids map back to names exactly (and a
   * plain function name works in Fn::GetAtt, as serverless-step-functions allows); without them the
   * `<Name>LambdaFunction` id is decoded (`Dash` → `-`, `Underscore` → `_`, first letter lowered).
   */
  functions?: string[];
  /**
   * Where `${file(path)}` paths start, as serverless resolves them from the service directory (the
   * one holding serverless.yml). loadDefinition's default: the parent of the ASL file's directory.
   */
  fileRoot?: string;
  /** Values of the AWS:: pseudo parameters; defaults us-east-1, 000000000000, aws. */
  region?: string;
  accountId?: string;
  partition?: string;
}

// ASL fields whose value is a number or a boolean; a serverless variable there is usually a string.
const NUMERIC_FIELDS = new Set([
  'MaxAttempts',
  'IntervalSeconds',
  'BackoffRate',
  'MaxDelaySeconds',
  'TimeoutSeconds',
  'HeartbeatSeconds',
  'Seconds',
  'MaxConcurrency',
  'ToleratedFailureCount',
  'ToleratedFailurePercentage',
  'NumericEquals',
  'NumericLessThan',
  'NumericGreaterThan',
  'NumericLessThanEquals',
  'NumericGreaterThanEquals',
]);
const BOOLEAN_FIELDS = new Set(['BooleanEquals', 'End']);

// CloudFormation's short forms, which serverless accepts in YAML it loads.
const CFN_TAGS: Array<ScalarTag | CollectionTag> = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
  {
    tag: '!GetAtt',
    collection: 'seq',
    resolve: (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ 'Fn::GetAtt': value.toJSON() }),
  },
  { tag: '!Sub', resolve: (value: string) => ({ 'Fn::Sub': value }) },
  {
    tag: '!Sub',
    collection: 'seq',
    resolve: (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ 'Fn::Sub': value.toJSON() }),
  },
  {
    tag: '!Join',
    collection: 'seq',
    resolve: (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ 'Fn::Join': value.toJSON() }),
  },
] as Array<ScalarTag | CollectionTag>;

/**
 * Reads an ASL definition written in YAML for serverless-step-functions and resolves what serverless
 * and CloudFormation would have resolved before Step Functions saw it, so the same file runs locally.
 */
export function loadDefinition(aslYamlPath: string, options: LoadDefinitionOptions): Record<string, unknown> {
  const document = readYaml(aslYamlPath);
  if (!isObject(document))
    throw new DefinitionReferenceError(`${aslYamlPath} does not hold an ASL definition (an object)`);
  return resolveDefinition(document, {
    ...options,
    fileRoot: options.fileRoot ?? dirname(dirname(resolvePath(aslYamlPath))),
  }) as Record<string, unknown>;
}

function readYaml(path: string): unknown {
  return parse(readFileSync(path, 'utf8'), { customTags: CFN_TAGS }) as unknown;
}

/** The resolution of `loadDefinition`, for a definition already parsed. */
export function resolveDefinition(definition: unknown, options: LoadDefinitionOptions): unknown {
  return new Resolver(options).value(definition, '$', undefined);
}

/**
 * serverless' logical id of a function: `getNormalizedFunctionName(name) + 'LambdaFunction'`
 * (osls lib/plugins/aws/lib/naming.js: `-` → `Dash`, `_` → `Underscore`, first letter upper-cased).
 */
export function lambdaLogicalId(functionName: string): string {
  const normalized = functionName.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}

class Resolver {
  private readonly pseudo: Record<string, string>;

  constructor(private readonly options: LoadDefinitionOptions) {
    this.pseudo = {
      'AWS::Region': options.region ?? 'us-east-1',
      'AWS::AccountId': options.accountId ?? '000000000000',
      'AWS::Partition': options.partition ?? 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::NoValue': '',
    };
  }

  value(node: unknown, at: string, field: string | undefined): unknown {
    if (typeof node === 'string') return this.string(node, at, field);
    if (Array.isArray(node)) return node.map((item, index) => this.value(item, `${at}[${index}]`, undefined));
    if (!isObject(node)) return node;
    const keys = Object.keys(node);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::')))
      return this.intrinsic(keys[0]!, node[keys[0]!], at);
    return Object.fromEntries(keys.map((key) => [key, this.value(node[key], `${at}.${key}`, key)]));
  }

  private string(text: string, at: string, field: string | undefined): unknown {
    // serverless-step-functions turns #{AWS::Region} into a CloudFormation substitution.
    let rest = text.replace(/#\{([^}]+)\}/g, '${$1}');
    const whole = /^\$\{([^{}]+)\}$/.exec(rest);
    // `${file(path)}` as a whole value: that YAML file, resolved in turn (shared ASL fragments).
    const file = whole ? /^\s*file\(([^)]+)\)\s*$/.exec(whole[1]!) : null;
    if (file) return this.file(file[1]!.trim(), at);
    if (whole && isServerlessVariable(whole[1]!)) return coerce(this.variable(whole[1]!, at), field);
    rest = this.serverlessVariables(rest, at);
    if (rest.includes('${')) rest = this.substitute(rest, {}, at);
    return coerce(rest, field) as unknown;
  }

  private file(path: string, at: string): unknown {
    if (this.options.fileRoot === undefined)
      throw new DefinitionReferenceError(`\${file(${path})} at ${at}: no fileRoot to read it from`);
    const full = resolvePath(this.options.fileRoot, path);
    let document: unknown;
    try {
      document = readYaml(full);
    } catch (error) {
      throw new DefinitionReferenceError(`\${file(${path})} at ${at}: ${(error as Error).message}`, { cause: error });
    }
    return this.value(document, at, undefined);
  }

  /** Replaces serverless variables only, innermost first, so `${opt:stage, ${self:custom.stage}}` works. */
  private serverlessVariables(text: string, at: string): string {
    let rest = text;
    for (let previous = ''; previous !== rest;) {
      previous = rest;
      rest = rest.replace(/\$\{([^{}]+)\}/g, (match, inner: string) =>
        isServerlessVariable(inner) ? String(this.variable(inner, at)) : match,
      );
    }
    return rest;
  }

  /** A serverless variable with its fallbacks: `${opt:stage, self:custom.stage, 'dev'}`. */
  private variable(expression: string, at: string): string | number | boolean {
    for (const candidate of splitTopLevel(expression)) {
      const quoted = /^(['"])(.*)\1$/.exec(candidate);
      if (quoted) return quoted[2]!;
      if (/^-?\d+(\.\d+)?$/.test(candidate)) return Number(candidate);
      if (candidate in this.options.vars) return this.options.vars[candidate]!;
    }
    throw new DefinitionReferenceError(`unknown variable \${${expression.trim()}} at ${at}: pass it in vars`);
  }

  private intrinsic(name: string, argument: unknown, at: string): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(String(argument), at);
      case 'Fn::GetAtt': {
        const [resource, attribute] = Array.isArray(argument) ? argument.map(String) : String(argument).split('.');
        return this.getAtt(resource ?? '', attribute ?? '', at);
      }
      case 'Fn::Sub': {
        const [template, locals] = Array.isArray(argument) ? argument : [argument, {}];
        if (typeof template !== 'string')
          throw new DefinitionReferenceError(`the Fn::Sub template at ${at} is not a string`);
        const resolvedLocals = Object.fromEntries(
          Object.entries(isObject(locals) ? locals : {}).map(([key, value]) => [
            key,
            String(this.value(value, `${at}.${key}`, undefined)),
          ]),
        );
        // The template's own ${…} are substituted with the locals, so only serverless variables go first.
        const text = this.serverlessVariables(template.replace(/#\{([^}]+)\}/g, '${$1}'), at);
        return this.substitute(text, resolvedLocals, at);
      }
      case 'Fn::Join': {
        const [separator, parts] = Array.isArray(argument) ? argument : [];
        if (typeof separator !== 'string' || !Array.isArray(parts))
          throw new DefinitionReferenceError(`malformed Fn::Join at ${at}`);
        return parts.map((part, index) => String(this.value(part, `${at}[${index}]`, undefined))).join(separator);
      }
      default:
        throw new DefinitionReferenceError(
          `${name} at ${at} is not supported locally (Ref, Fn::GetAtt, Fn::Sub and Fn::Join are)`,
        );
    }
  }

  /** `${Name}`, `${Name.Attr}`, `${AWS::Region}` and `${!Literal}` of Fn::Sub. */
  private substitute(template: string, locals: Record<string, string>, at: string): string {
    return template.replace(/\$\{([^{}]*)\}/g, (_match, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      if (inner in locals) return locals[inner]!;
      if (inner.includes('::') || !inner.includes('.')) return this.ref(inner, at);
      const dot = inner.indexOf('.');
      return this.getAtt(inner.slice(0, dot), inner.slice(dot + 1), at);
    });
  }

  private ref(name: string, at: string): string {
    if (name in this.pseudo) return this.pseudo[name]!;
    if (name in this.options.refs) return this.options.refs[name]!;
    // Ref of a function is its name.
    const functionName = this.functionName(name);
    if (functionName !== undefined) return lastSegment(this.options.functionArn(functionName));
    throw new DefinitionReferenceError(`unknown reference ${name} (Ref) at ${at}: pass it in refs`);
  }

  private getAtt(resource: string, attribute: string, at: string): string {
    const key = `${resource}.${attribute}`;
    if (key in this.options.refs) return this.options.refs[key]!;
    const functionName = this.functionName(resource);
    if (functionName !== undefined && attribute === 'Arn') return this.options.functionArn(functionName);
    throw new DefinitionReferenceError(`unknown reference ${key} (Fn::GetAtt) at ${at}: pass it in refs`);
  }

  private functionName(id: string): string | undefined {
    const { functions } = this.options;
    if (functions) return functions.find((name) => name === id || lambdaLogicalId(name) === id);
    const match = /^(.+)LambdaFunction$/.exec(id);
    if (!match) return undefined;
    const decoded = match[1]!.replace(/Dash/g, '-').replace(/Underscore/g, '_');
    return `${decoded.charAt(0).toLowerCase()}${decoded.slice(1)}`;
  }
}

function isServerlessVariable(inner: string): boolean {
  // `self:…`, `sls:…`, `opt:…`, `env:…`, `file(…):…`; not CloudFormation's `AWS::Region` nor `${Name}`.
  return /^\s*[a-zA-Z][\w-]*(\([^)]*\))?:(?!:)/.test(inner);
}

function splitTopLevel(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let current = '';
  for (const char of expression) {
    if (quote) {
      if (char === quote) quote = '';
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '(' || char === '{') {
      depth++;
    } else if (char === ')' || char === '}') {
      depth--;
    } else if (char === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += char;
  }
  parts.push(current.trim());
  return parts;
}

function coerce(value: string | number | boolean, field: string | undefined): string | number | boolean {
  if (typeof value !== 'string' || field === undefined) return value;
  if (NUMERIC_FIELDS.has(field) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (BOOLEAN_FIELDS.has(field) && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

function lastSegment(arn: string): string {
  return arn.split(':').at(-1) ?? arn;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

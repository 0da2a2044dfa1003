/**
 * Just enough of CloudFormation to read the packaged template's IAM as IAM will see it: the
 * intrinsic functions the template uses (Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Split, Fn::If and
 * the condition functions) resolved with a fixed account and region, and the physical names
 * CloudFormation would generate replaced by predictable ones (`<stack>-<LogicalId>-TEST`).
 */

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const STACK = 'pushgate-dev';

export interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  Condition?: string;
  DependsOn?: string | string[];
}

export interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
  Conditions?: Record<string, unknown>;
}

/** A value CloudFormation leaves out (Ref AWS::NoValue, or a false Fn::If branch naming it). */
const NO_VALUE = Symbol('AWS::NoValue');

export interface ResolveOptions {
  /** Take these conditions as given instead of evaluating them (to read the other branch of Fn::If). */
  conditions?: Record<string, boolean>;
}

export class TemplateResolver {
  constructor(
    readonly template: Template,
    private readonly options: ResolveOptions = {},
  ) {}

  /** A copy of `value` with every intrinsic function resolved. */
  resolve(value: unknown): unknown {
    const resolved = this.resolveValue(value);
    if (resolved === NO_VALUE) throw new Error(`${JSON.stringify(value)} resolves to AWS::NoValue`);
    return resolved;
  }

  condition(name: string): boolean {
    const given = this.options.conditions?.[name];
    if (given !== undefined) return given;
    const expression = this.template.Conditions?.[name];
    if (expression === undefined) throw new Error(`no condition ${name}`);
    return this.evaluateCondition(expression);
  }

  /** A resource's physical id, as `Ref` returns it. */
  ref(logicalId: string): string {
    switch (logicalId) {
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::Region':
        return REGION;
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::StackName':
        return STACK;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
    }
    const resource = this.resource(logicalId);
    const name = this.physicalName(logicalId);
    switch (resource.Type) {
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::SNS::Topic':
        return this.getAtt(logicalId, 'Arn');
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
      default:
        return name;
    }
  }

  getAtt(logicalId: string, attribute: string): string {
    const resource = this.resource(logicalId);
    const name = this.physicalName(logicalId);
    const key = `${resource.Type}.${attribute}`;
    switch (key) {
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${name}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${ACCOUNT}:role/${name}`;
      case 'AWS::IAM::ManagedPolicy.Arn':
      case 'AWS::IAM::ManagedPolicy.PolicyArn':
        return `arn:aws:iam::${ACCOUNT}:policy/${name}`;
      case 'AWS::SQS::Queue.Arn':
        return `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
      case 'AWS::SQS::Queue.QueueName':
        return name;
      case 'AWS::SNS::Topic.Arn':
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
      case 'AWS::KMS::Key.Arn':
        return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${name}`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
      case 'AWS::StepFunctions::StateMachine.Arn':
        return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
      case 'AWS::Events::Rule.Arn':
        return `arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}`;
      case 'AWS::CodeBuild::Project.Arn':
        return `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${name}`;
      default:
        throw new Error(`Fn::GetAtt ${logicalId}.${attribute} (${resource.Type}) is not modelled`);
    }
  }

  resource(logicalId: string): Resource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`no resource ${logicalId} in the template`);
    return resource;
  }

  /** The name the resource declares, or the one CloudFormation would generate (stack-LogicalId-SUFFIX). */
  private physicalName(logicalId: string): string {
    const properties = this.resource(logicalId).Properties ?? {};
    for (const key of [
      'RoleName',
      'ManagedPolicyName',
      'TableName',
      'BucketName',
      'QueueName',
      'TopicName',
      'FunctionName',
      'StateMachineName',
      'Name',
    ]) {
      if (properties[key] !== undefined) {
        const value = this.resolve(properties[key]);
        if (typeof value !== 'string') throw new Error(`${logicalId}.${key} is not a string`);
        return value;
      }
    }
    // Buckets are lower-case only.
    const generated = `${STACK}-${logicalId}-TEST`;
    return this.resource(logicalId).Type === 'AWS::S3::Bucket' ? generated.toLowerCase() : generated;
  }

  private resolveValue(value: unknown): unknown {
    if (Array.isArray(value)) {
      return value.map((item) => this.resolveValue(item)).filter((item) => item !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [[key, argument]] = entries as [[string, unknown]];
      switch (key) {
        case 'Ref':
          return argument === 'AWS::NoValue' ? NO_VALUE : this.ref(argument as string);
        case 'Fn::GetAtt': {
          const [logicalId, attribute] =
            typeof argument === 'string' ? argument.split('.') : (argument as [string, string]);
          return this.getAtt(logicalId!, attribute!);
        }
        case 'Fn::Sub':
          return this.sub(argument);
        case 'Fn::Join': {
          const [delimiter, items] = argument as [string, unknown[]];
          return (this.resolve(items) as string[]).join(delimiter);
        }
        case 'Fn::Split': {
          const [delimiter, source] = argument as [string, unknown];
          return (this.resolve(source) as string).split(delimiter);
        }
        case 'Fn::If': {
          const [name, whenTrue, whenFalse] = argument as [string, unknown, unknown];
          return this.resolveValue(this.condition(name) ? whenTrue : whenFalse);
        }
      }
      if (key.startsWith('Fn::')) throw new Error(`${key} is not modelled`);
    }
    const result: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.resolveValue(item);
      if (resolved !== NO_VALUE) result[key] = resolved;
    }
    return result;
  }

  private sub(argument: unknown): string {
    const [text, variables] = typeof argument === 'string' ? [argument, {}] : (argument as [string, object]);
    const values = this.resolve(variables) as Record<string, unknown>;
    return text.replace(/\$\{(!?)([^}]+)\}/g, (_match, literal: string, name: string) => {
      if (literal) return `\${${name}}`;
      if (name in values) return String(values[name]);
      if (name.startsWith('AWS::')) return this.ref(name);
      const dot = name.indexOf('.');
      return dot === -1 ? this.ref(name) : this.getAtt(name.slice(0, dot), name.slice(dot + 1));
    });
  }

  private evaluateCondition(expression: unknown): boolean {
    if (typeof expression === 'boolean') return expression;
    const [[key, argument]] = Object.entries(expression as object) as [[string, unknown]];
    switch (key) {
      case 'Condition':
        return this.condition(argument as string);
      case 'Fn::Not':
        return !this.evaluateCondition((argument as unknown[])[0]);
      case 'Fn::And':
        return (argument as unknown[]).every((item) => this.evaluateCondition(item));
      case 'Fn::Or':
        return (argument as unknown[]).some((item) => this.evaluateCondition(item));
      case 'Fn::Equals': {
        const [left, right] = argument as [unknown, unknown];
        return JSON.stringify(this.resolve(left)) === JSON.stringify(this.resolve(right));
      }
      default:
        throw new Error(`condition function ${key} is not modelled`);
    }
  }
}

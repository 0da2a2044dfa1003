import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC } from '../../../functions/lib/runtime/metrics.ts';

// The packaged template as CloudFormation will create it: tracing, logs, alarms and the dashboard.
// test/integration/package/package.test.ts packages the stack once (osls, most of a minute) and
// runs these checks on it too.

/** Template JSON, read field by field; a wrong path fails the expectation that reads it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation's JSON, untyped
type Json = any;
type Resource = { Type: string; Properties?: Record<string, Json>; DependsOn?: string | string[] };
type Template = { Resources: Record<string, Resource>; Outputs: Record<string, { Value: unknown }> };

/** The observability checks, on the template `read` gives once it is packaged. */
export function observabilityChecks(read: () => unknown): void {
  let template: Template;
  beforeAll(() => {
    template = read() as Template;
  });

  const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
  const dependsOn = (r: Resource) => (r.DependsOn === undefined ? [] : [r.DependsOn].flat());

  const ALARMS = [
    'ExecutionEndedDeadLettersAlarm',
    'ExecutionsFailedAlarm',
    'ApiServerErrorsAlarm',
    'FunctionErrorsAlarm',
    'FunctionThrottlesAlarm',
    'FunctionThrottles2Alarm',
    'FunctionThrottles3Alarm',
    'FunctionErrors2Alarm',
    'WaitedTooLongAlarm',
  ];

  describe('tracing', () => {
    it('every function traces (Active), and is created after its role may write to X-Ray', () => {
      const functions = ofType('AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThanOrEqual(14);
      // Which tracing policy attaches to each role.
      const policyOf = new Map<string, string>();
      for (const policy of [
        'LambdaTracingPolicy',
        'WebhookTracingPolicy',
        'RollbackTracingPolicy',
        'DriftCheckTracingPolicy',
      ]) {
        const properties = template.Resources[policy]!.Properties!;
        expect(properties.PolicyDocument.Statement, policy).toEqual([
          { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
        ]);
        for (const role of properties.Roles as { Ref: string }[]) policyOf.set(role.Ref, policy);
      }
      for (const [name, fn] of functions) {
        expect(fn.Properties!.TracingConfig, name).toEqual({ Mode: 'Active' });
        const role = (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        const policy = policyOf.get(role);
        expect(policy, `${name}'s role ${role} may write to X-Ray`).toBeDefined();
        expect(dependsOn(fn), name).toContain(policy);
      }
    });

    it('the state machine traces, and logs errors only, without execution data, to a group that expires', () => {
      const machine = template.Resources.DeployStateMachine!.Properties!;
      expect(machine.TracingConfiguration).toEqual({ Enabled: true });
      expect(machine.LoggingConfiguration).toMatchObject({ Level: 'ERROR', IncludeExecutionData: false });
      const group = machine.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      expect(template.Resources[group]!.Properties!.RetentionInDays).toBe(30);
    });
  });

  describe('log retention', () => {
    it('every log group expires, the functions and the CodeBuild projects included', () => {
      const groups = ofType('AWS::Logs::LogGroup');
      expect(groups.length).toBeGreaterThanOrEqual(14 + 3);
      for (const [name, group] of groups) expect(group.Properties!.RetentionInDays, name).toBe(30);
      for (const project of ['PlanProject', 'ApplyProject']) {
        const logs = template.Resources[project]!.Properties!.LogsConfig.CloudWatchLogs;
        expect(logs.Status, project).toBe('ENABLED');
        expect(template.Resources[logs.GroupName.Ref]!.Type, project).toBe('AWS::Logs::LogGroup');
      }
    });
  });

  describe('alarms', () => {
    it('exist, and every one tells AlarmTopic when it fires and when it is OK', () => {
      const alarms = ofType('AWS::CloudWatch::Alarm');
      expect(alarms.map(([name]) => name).sort()).toEqual([...ALARMS].sort());
      for (const [name, alarm] of alarms) {
        expect(alarm.Properties!.AlarmActions, name).toEqual([{ Ref: 'AlarmTopic' }]);
        expect(alarm.Properties!.OKActions, name).toEqual([{ Ref: 'AlarmTopic' }]);
        expect(alarm.Properties!.TreatMissingData, name).toBe('notBreaching');
      }
      expect(template.Resources.AlarmTopic!.Type).toBe('AWS::SNS::Topic');
    });

    it('metric-math alarms read at most 10 metrics, and together every function’s throttles', () => {
      const functionNames = ofType('AWS::Lambda::Function').map(([, fn]) => fn.Properties!.FunctionName as string);
      const throttled = new Set<string>();
      for (const [name, alarm] of ofType('AWS::CloudWatch::Alarm')) {
        const metrics = (alarm.Properties!.Metrics ?? []) as { MetricStat?: Json }[];
        const stats = metrics.filter((m) => m.MetricStat);
        expect(stats.length, name).toBeLessThanOrEqual(10);
        for (const m of stats) {
          if (m.MetricStat.Metric.MetricName === 'Throttles') throttled.add(m.MetricStat.Metric.Dimensions[0].Value);
        }
      }
      expect([...throttled].sort()).toEqual([...functionNames].sort());
    });

    it('watch the failed executions, the API’s 5xx and the waits past their limit with the contract’s dimensions', () => {
      const p = (name: string) => template.Resources[name]!.Properties!;
      expect(p('ExecutionsFailedAlarm')).toMatchObject({
        Namespace: 'AWS/States',
        MetricName: 'ExecutionsFailed',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'DeployStateMachine' } }],
      });
      expect(p('ApiServerErrorsAlarm')).toMatchObject({
        Namespace: 'AWS/ApiGateway',
        MetricName: '5xx',
        Dimensions: [{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }],
      });
      const waits = (p('WaitedTooLongAlarm').Metrics as { MetricStat?: Json }[]).filter((m) => m.MetricStat);
      expect(waits.map((m) => m.MetricStat.Metric.MetricName).sort()).toEqual(
        [METRIC.approvalsExpired, METRIC.lockWaitsTimedOut].sort(),
      );
      for (const m of waits) {
        expect(m.MetricStat.Metric.Namespace).toBe('pushgate');
        expect(m.MetricStat.Metric.Dimensions).toEqual([
          { Name: 'service', Value: 'pushgate' },
          { Name: 'stage', Value: 'dev' },
        ]);
      }
    });
  });

  describe('dashboard', () => {
    it('is valid JSON once Fn::Sub fills in resources that exist, and shows every metric', () => {
      const sub = template.Resources.Dashboard!.Properties!.DashboardBody['Fn::Sub'] as string;
      const placeholders = [...sub.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]!);
      for (const name of placeholders) {
        if (name.startsWith('AWS::')) continue;
        expect(Object.keys(template.Resources), name).toContain(name.split('.')[0]);
      }
      const body = JSON.parse(sub.replace(/\$\{([^}]+)\}/g, 'x')) as { widgets: { properties: Json }[] };
      const text = JSON.stringify(body);
      for (const metric of Object.values(METRIC)) expect(text, metric).toContain(metric);
      for (const [, fn] of ofType('AWS::Lambda::Function')) expect(text).toContain(fn.Properties!.FunctionName);
      for (const needle of ['"AWS/States"', '"ExecutionsFailed"', '"AWS/ApiGateway"', '"5xx"', '"AWS/CodeBuild"']) {
        expect(text).toContain(needle);
      }
      expect(template.Outputs.DashboardUrl!.Value).toEqual({
        'Fn::Sub': expect.stringContaining('#dashboards/dashboard/${Dashboard}'),
      });
    });
  });
}

import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';
import type { RunMetrics } from '../run/run-metrics.ts';

/**
 * pushgate's metrics, in CloudWatch's embedded metric format (EMF): Powertools Metrics writes one JSON
 * line per flush to stdout, and CloudWatch Logs turns it into metrics. No PutMetricData call, no
 * permission, nothing to wait for.
 *
 * Every metric has the dimensions `service` (POWERTOOLS_SERVICE_NAME, `pushgate`) and `stage`
 * (PUSHGATE_STAGE), plus its own where listed below; the dashboard and the alarms
 * (infra/dashboard.yml, infra/alarms.yml) query exactly these. Namespace: POWERTOOLS_METRICS_NAMESPACE
 * (`pushgate`).
 * https://docs.powertools.aws.dev/lambda/typescript/latest/features/metrics/
 */
export const METRIC = {
  /** Count, dimension `outcome`: the webhook's answer (started, duplicate, ignored, rejected, error). */
  webhookDeliveries: 'WebhookDeliveries',
  /** Count, dimension `outcome`: a run's final status. */
  runs: 'Runs',
  /** Seconds: from the push (the run's creation) to a target applied. */
  pushToDeployedSeconds: 'PushToDeployedSeconds',
  /** Seconds: how long a target waited for its lock before it got it. */
  lockWaitSeconds: 'LockWaitSeconds',
  /** Count: a target gave up waiting for its lock (the repository's lockWaitMinutes). */
  lockWaitsTimedOut: 'LockWaitsTimedOut',
  /** Seconds: from the approval request to the decision. */
  approvalWaitSeconds: 'ApprovalWaitSeconds',
  /** Count: an approval nobody gave in time (the environment's approval timeout). */
  approvalsExpired: 'ApprovalsExpired',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export const METRICS_NAMESPACE_DEFAULT = 'pushgate';

/**
 * Where metrics go: Powertools on Lambda, nowhere locally, a recorder in tests. `dimensions` are the
 * metric's own (e.g. `{ outcome: 'succeeded' }`), beyond service and stage.
 */
export interface MetricsSink {
  count(name: MetricName, dimensions?: Record<string, string>): void;
  seconds(name: MetricName, value: number, dimensions?: Record<string, string>): void;
  /** Writes what was added since the last flush; the step wrapper calls it once per invocation. */
  flush(): void;
}

/** A sink that drops everything: tests, `pushgate dev`, anything outside Lambda. */
export const noMetrics: MetricsSink = { count() {}, seconds() {}, flush() {} };

/**
 * Metrics are written only inside Lambda (AWS_LAMBDA_FUNCTION_NAME is set) and unless
 * POWERTOOLS_METRICS_DISABLED says otherwise, so tests and the local stack keep stdout clean.
 */
export function metricsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const disabled = env.POWERTOOLS_METRICS_DISABLED?.trim().toLowerCase();
  if (disabled !== undefined && disabled !== '') return !['1', 'true', 'yes', 'on', 'y'].includes(disabled);
  return Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
}

/** Where Powertools Metrics logs its own warnings (e.g. a metric CloudWatch would skip): the function's logger. */
export type MetricsWarnings = NonNullable<MetricsOptions['logger']>;

/**
 * The sink over one Powertools Metrics instance. A metric with dimensions of its own goes out as a
 * single metric (its own EMF line, at once), so that its dimension is not laid over the other
 * metrics of the invocation; the rest are buffered until flush.
 */
export function createPowertoolsMetricsSink(metrics: Metrics): MetricsSink {
  function add(
    name: MetricName,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number,
    dimensions?: Record<string, string>,
  ): void {
    if (dimensions && Object.keys(dimensions).length > 0) {
      const single = metrics.singleMetric();
      single.addDimensions(dimensions);
      single.addMetric(name, unit, value);
      return;
    }
    metrics.addMetric(name, unit, value);
  }
  return {
    count: (name, dimensions) => add(name, MetricUnit.Count, 1, dimensions),
    seconds: (name, value, dimensions) => add(name, MetricUnit.Seconds, Math.max(0, value), dimensions),
    flush() {
      // Without metrics Powertools would warn on every invocation: nothing to write is fine here.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}

/** Builds the Powertools instance of the function (namespace, service and stage as above). */
export function createPowertoolsMetrics(options: { logger?: MetricsWarnings; env?: NodeJS.ProcessEnv } = {}): Metrics {
  const env = options.env ?? process.env;
  return new Metrics({
    namespace: env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE_DEFAULT,
    serviceName: env.POWERTOOLS_SERVICE_NAME || 'pushgate',
    defaultDimensions: { stage: env.PUSHGATE_STAGE || 'local' },
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

const sinks = new Map<string, MetricsSink>();

/**
 * The metrics of one function, built on first use and kept for the life of the Lambda: Powertools on
 * Lambda, `noMetrics` elsewhere (see metricsEnabled). Handlers pass it (or what is built on it, e.g.
 * runMetricsOf) into the domain; tests inject their own sink instead.
 */
export function functionMetrics(functionName: string, options: { logger?: MetricsWarnings } = {}): MetricsSink {
  let sink = sinks.get(functionName);
  if (sink === undefined) {
    sink = metricsEnabled() ? createPowertoolsMetricsSink(createPowertoolsMetrics(options)) : noMetrics;
    sinks.set(functionName, sink);
  }
  return sink;
}

/** The domain's RunMetrics port over a sink: the metric names and units of the contract above. */
export function runMetricsOf(sink: MetricsSink): RunMetrics {
  return {
    runEnded: (status) => sink.count(METRIC.runs, { outcome: status }),
    targetDeployed: (seconds) => sink.seconds(METRIC.pushToDeployedSeconds, seconds),
    lockAcquired: (seconds) => sink.seconds(METRIC.lockWaitSeconds, seconds),
    lockWaitTimedOut: () => sink.count(METRIC.lockWaitsTimedOut),
    approvalDecided: (seconds) => sink.seconds(METRIC.approvalWaitSeconds, seconds),
    approvalExpired: () => sink.count(METRIC.approvalsExpired),
  };
}

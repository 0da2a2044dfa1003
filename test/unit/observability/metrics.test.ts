import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createPowertoolsMetrics,
  createPowertoolsMetricsSink,
  METRIC,
  metricsEnabled,
  runMetricsOf,
  type MetricsSink,
} from '../../../functions/lib/runtime/metrics.ts';
import { stepHandler } from '../../../functions/lib/runtime/step-handler.ts';
import { runtimeTracer } from '../../../functions/lib/runtime/tracer.ts';
import { LockHeldError } from '../../../functions/lib/run/errors.ts';

/** The EMF lines Powertools writes to stdout, parsed. */
function captureEmf(): { lines: () => Record<string, unknown>[]; restore: () => void } {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return {
    lines: () =>
      written
        .flatMap((chunk) => chunk.split('\n'))
        .filter((line) => line.includes('"_aws"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => spy.mockRestore(),
  };
}

type Emf = {
  _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
};

afterEach(() => vi.restoreAllMocks());

describe('metrics (embedded metric format)', () => {
  it('writes the contract: namespace pushgate, dimensions service + stage, outcome only on its own metric', () => {
    const env = {
      POWERTOOLS_METRICS_NAMESPACE: 'pushgate',
      POWERTOOLS_SERVICE_NAME: 'pushgate',
      PUSHGATE_STAGE: 'prod',
    };
    const capture = captureEmf();
    try {
      const run = runMetricsOf(createPowertoolsMetricsSink(createPowertoolsMetrics({ env })));
      run.runEnded('failed');
      run.lockAcquired(42.5);
      run.targetDeployed(300);
      run.approvalExpired();
      // Nothing buffered is written before the flush; the dimensioned metric went out at once.
      expect(capture.lines()).toHaveLength(1);
      createPowertoolsMetricsSink(createPowertoolsMetrics({ env })).flush();
    } finally {
      capture.restore();
    }
    const [runs] = capture.lines() as unknown as (Emf & Record<string, unknown>)[];
    expect(runs!._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'pushgate',
      Dimensions: [['service', 'stage', 'outcome']],
      Metrics: [{ Name: 'Runs', Unit: 'Count' }],
    });
    expect(runs).toMatchObject({ service: 'pushgate', stage: 'prod', outcome: 'failed', Runs: 1 });
  });

  it('flushes the buffered metrics with service and stage only', () => {
    const env = {
      POWERTOOLS_METRICS_NAMESPACE: 'pushgate',
      POWERTOOLS_SERVICE_NAME: 'pushgate',
      PUSHGATE_STAGE: 'dev',
    };
    const capture = captureEmf();
    try {
      const sink = createPowertoolsMetricsSink(createPowertoolsMetrics({ env }));
      const run = runMetricsOf(sink);
      run.lockAcquired(42.5);
      run.targetDeployed(300);
      run.lockWaitTimedOut();
      sink.flush();
      sink.flush(); // nothing left: no second line, no warning
    } finally {
      capture.restore();
    }
    const lines = capture.lines() as unknown as (Emf & Record<string, unknown>)[];
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', 'stage']]);
    expect(line!._aws.CloudWatchMetrics[0]!.Metrics).toEqual(
      expect.arrayContaining([
        { Name: METRIC.lockWaitSeconds, Unit: 'Seconds' },
        { Name: METRIC.pushToDeployedSeconds, Unit: 'Seconds' },
        { Name: METRIC.lockWaitsTimedOut, Unit: 'Count' },
      ]),
    );
    expect(line).toMatchObject({
      LockWaitSeconds: 42.5,
      PushToDeployedSeconds: 300,
      LockWaitsTimedOut: 1,
      stage: 'dev',
    });
  });

  it('is on only inside Lambda, unless POWERTOOLS_METRICS_DISABLED says otherwise', () => {
    expect(metricsEnabled({})).toBe(false);
    expect(metricsEnabled({ PUSHGATE_LOCAL: '1' })).toBe(false);
    expect(metricsEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'pushgate-dev-record' })).toBe(true);
    expect(metricsEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'f', POWERTOOLS_METRICS_DISABLED: 'true' })).toBe(false);
    expect(metricsEnabled({ POWERTOOLS_METRICS_DISABLED: 'false' })).toBe(true);
  });
});

describe('stepHandler', () => {
  function recordingSink(): MetricsSink & { flushes: number; counts: string[] } {
    const sink = {
      flushes: 0,
      counts: [] as string[],
      count: (name: string) => void sink.counts.push(name),
      seconds: () => undefined,
      flush: () => void sink.flushes++,
    };
    return sink;
  }
  function recordingLogger() {
    const lines: Record<string, unknown>[] = [];
    const logger = new Logger({ serviceName: 'pushgate', logLevel: 'DEBUG' });
    const record = (chunk: string | Uint8Array) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      return true;
    };
    // Powertools writes warnings and errors to stderr.
    vi.spyOn(process.stdout, 'write').mockImplementation(record);
    vi.spyOn(process.stderr, 'write').mockImplementation(record);
    return { logger, lines };
  }

  it('puts the run id on every line of the invocation, and only of that invocation; flushes each time', async () => {
    const { logger, lines } = recordingLogger();
    const metrics = recordingSink();
    const handler = stepHandler(
      'record',
      async (event, step) => {
        step.appendKeys({ runId: (event as { runId: string }).runId, target: undefined });
        step.logger.info('inside');
        step.metrics.runEnded('succeeded');
        return 'ok';
      },
      { logger, metrics },
    );
    await handler({ runId: 'run-1' });
    logger.info('between');
    await handler({ runId: 'run-2' });
    vi.restoreAllMocks();
    expect(lines.map((l) => [l.message, l.runId])).toEqual([
      ['inside', 'run-1'],
      ['between', undefined],
      ['inside', 'run-2'],
    ]);
    expect(lines[0]).not.toHaveProperty('target');
    expect(metrics.counts).toEqual(['Runs', 'Runs']);
    expect(metrics.flushes).toBe(2);
  });

  it('logs a thrown error with the run id, rethrows it unchanged, and still flushes', async () => {
    const { logger, lines } = recordingLogger();
    const metrics = recordingSink();
    const held = new LockHeldError('network/prod is locked');
    const failing = stepHandler(
      'acquireLock',
      async (_event, step) => {
        step.appendKeys({ runId: 'run-9' });
        throw held;
      },
      { logger, metrics },
    );
    const broken = stepHandler(
      'record',
      async (_event, step) => {
        step.appendKeys({ runId: 'run-9' });
        throw new TypeError('boom');
      },
      { logger, metrics },
    );
    await expect(failing({})).rejects.toBe(held);
    await expect(broken({})).rejects.toThrow('boom');
    vi.restoreAllMocks();
    expect(lines.map((l) => [l.level, l.message, l.runId])).toEqual([
      ['INFO', 'waiting for the lock', 'run-9'],
      ['ERROR', 'step failed', 'run-9'],
    ]);
    expect(metrics.flushes).toBe(2);
  });

  it('keeps tracing off outside Lambda (no X-Ray daemon is looked for)', () => {
    expect(process.env.AWS_EXECUTION_ENV).toBeUndefined();
    expect(runtimeTracer().isTracingEnabled()).toBe(false);
  });
});

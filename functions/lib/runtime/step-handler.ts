import type { Logger } from '@aws-lambda-powertools/logger';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { PushgateError } from '../errors.ts';
import { LockHeldError, StepInputError } from '../run/errors.ts';
import type { RunMetrics } from '../run/run-metrics.ts';
import { functionLogger } from './logger.ts';
import { functionMetrics, runMetricsOf, type MetricsSink } from './metrics.ts';
import { runtimeTracer } from './tracer.ts';

/** What a handler's body gets for one invocation. */
export interface StepScope {
  /** The function's logger (the one its domain code logs with). */
  logger: Logger;
  /**
   * Puts these keys (`runId`, `target`, `deliveryId`, …) on every log line of this invocation, the
   * domain's included, and the run id on the trace (an X-Ray annotation, searchable). Undefined
   * values are left out. Removed when the invocation ends, so a warm container never carries one
   * run's id into the next.
   */
  appendKeys(keys: Record<string, string | undefined>): void;
  /** The run metrics of this function, flushed when the invocation ends. */
  metrics: RunMetrics;
}

export interface StepObservability {
  logger: Logger;
  metrics: MetricsSink;
  tracer: Tracer;
  /**
   * Whether an error the body throws is logged here (default true). A handler that logs its own
   * failures with their context (Validate) turns it off, so that each failure is one line.
   */
  logErrors?: boolean;
}

export type StepHandler<R> = (event: unknown, context?: Context) => Promise<R>;

/**
 * The observability every pushgate function shares, around the handler's body: the Lambda context
 * and the run's keys on each log line, a `## <function>` X-Ray subsegment (Lambda's Active tracing
 * opens the segment), the metrics flushed once per invocation, and a thrown error logged with the
 * run id before it goes back to Step Functions (whose Retry and Catch match its name, unchanged).
 * Off Lambda the tracer and the metrics are off (tracer.ts, metrics.ts): nothing is written.
 */
export function stepHandler<R>(
  functionName: string,
  body: (event: unknown, scope: StepScope) => Promise<R>,
  observability: Partial<StepObservability> = {},
): StepHandler<R> {
  const logger = observability.logger ?? functionLogger(functionName);
  const sink = observability.metrics ?? functionMetrics(functionName, { logger });
  const tracer = observability.tracer ?? runtimeTracer();
  const logErrors = observability.logErrors ?? true;
  const metrics = runMetricsOf(sink);

  return async (event, context) => {
    if (context) logger.addContext(context);
    const appended = new Set<string>();
    const tracing = tracer.isTracingEnabled();
    const segment = tracing ? tracer.getSegment() : undefined;
    const subsegment = segment?.addNewSubsegment(`## ${functionName}`);
    if (subsegment) {
      tracer.setSegment(subsegment);
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
    }
    const scope: StepScope = {
      logger,
      metrics,
      appendKeys(keys) {
        const defined = Object.fromEntries(
          Object.entries(keys).filter((entry): entry is [string, string] => entry[1] !== undefined),
        );
        logger.appendKeys(defined);
        for (const key of Object.keys(defined)) appended.add(key);
        if (subsegment && defined.runId !== undefined) tracer.putAnnotation('runId', defined.runId);
      },
    };
    try {
      return await body(event, scope);
    } catch (error) {
      if (logErrors) logFailure(logger, error);
      if (subsegment && error instanceof Error) tracer.addErrorAsMetadata(error);
      throw error;
    } finally {
      try {
        sink.flush();
      } catch (error) {
        // A metric that cannot be written must not fail a step that did its work.
        logger.warn('could not write the metrics', { error });
      }
      logger.removeKeys([...appended]);
      if (subsegment) {
        subsegment.close();
        tracer.setSegment(segment!);
      }
    }
  };
}

/**
 * A held lock is the queue at work (retried every few seconds): `info`. Other errors pushgate raises
 * on purpose end a target or a run as designed (superseded, a failed dependency): `warn`. An input
 * the state machine should never send, or anything unexpected: `error`, with the stack.
 */
function logFailure(logger: Logger, error: unknown): void {
  if (error instanceof LockHeldError) logger.info('waiting for the lock', { error: error.message });
  else if (error instanceof PushgateError && !(error instanceof StepInputError))
    logger.warn(`step ended with ${error.name}`, { error: error.message });
  else logger.error('step failed', { error });
}

/** The log keys of a per-target step: the run and `project/environment`. */
export function targetKeys(input: {
  run: { runId: string; deliveryId?: string };
  target: { project: string; environment: string };
}): Record<string, string | undefined> {
  return {
    runId: input.run.runId,
    deliveryId: input.run.deliveryId,
    target: `${input.target.project}/${input.target.environment}`,
  };
}

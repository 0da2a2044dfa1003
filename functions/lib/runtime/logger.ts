import { Logger } from '@aws-lambda-powertools/logger';

const loggers = new Map<string, Logger>();

/**
 * The Powertools logger of one function, built on first use. Every function logs as one service,
 * POWERTOOLS_SERVICE_NAME (serverless.yml sets `pushgate`), and each line names its function
 * (`"function":"validate"`), so one query finds a run's lines across functions by `runId`. The log
 * level comes from POWERTOOLS_LOG_LEVEL.
 */
export function functionLogger(functionName: string): Logger {
  let logger = loggers.get(functionName);
  if (logger === undefined) {
    logger = new Logger({
      serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'pushgate',
      persistentKeys: { function: functionName },
    });
    loggers.set(functionName, logger);
  }
  return logger;
}

import type { CaughtError } from '../workflow/contract.ts';

/** Longest reason kept on a record or sent to Slack; full details stay in the execution history. */
const MAX_REASON = 1500;

interface LambdaErrorCause {
  errorMessage?: string;
  errorType?: string;
}

interface BuildCause {
  Build?: {
    Id?: string;
    BuildStatus?: string;
    Phases?: { PhaseType?: string; PhaseStatus?: string; Contexts?: { StatusCode?: string; Message?: string }[] }[];
  };
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Turns what Step Functions caught into one sentence a person can act on. Causes come in three
 * shapes: a Lambda error (`{"errorMessage","errorType",…}`), a CodeBuild `.sync` failure (the build
 * as JSON, whose failed phase carries the message), or plain text.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-codebuild.html
 */
export function describeError(error: CaughtError): string {
  const cause = parseJson(error.Cause);
  let reason: string;
  if (cause && typeof cause === 'object' && 'errorMessage' in cause) {
    reason = String((cause as LambdaErrorCause).errorMessage);
  } else if (cause && typeof cause === 'object' && 'Build' in cause) {
    const build = (cause as BuildCause).Build ?? {};
    const failed = (build.Phases ?? []).find((phase) => phase.PhaseStatus && phase.PhaseStatus !== 'SUCCEEDED');
    const context = failed?.Contexts?.find((c) => c.Message)?.Message;
    reason =
      `build ${build.Id ?? ''} ${(build.BuildStatus ?? 'FAILED').toLowerCase()}` +
      (failed ? ` in phase ${failed.PhaseType}` : '') +
      (context ? `: ${context}` : '');
  } else {
    reason = error.Cause ? `${error.Error}: ${error.Cause}` : error.Error;
  }
  // One line for Slack and the record: a list ("has 2 problems:\n a\n b") reads "has 2 problems: a; b".
  reason = reason
    .trim()
    .replace(/:\s*\n\s*/g, ': ')
    .replace(/\s*\n\s*/g, '; ')
    .replace(/\s+/g, ' ');
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
}

import type { RunRequest } from '../workflow/contract.ts';

/** Step Functions' limit on execution names; the charset is what stays readable in ARNs and logs. */
const MAX_LENGTH = 80;
const ZERO_SHA = /^0{40}$/;

/**
 * A readable execution name that is unique per delivery: `<repo>-<kind>-<sha7 | pr<n>>-<deliveryId>`.
 * It is derived from the delivery id, so a repeated start of the same delivery is refused by Step
 * Functions (idempotent). The delivery part is kept whole; the repository name is cut to fit, then
 * the rest of the readable prefix.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#StepFunctions-StartExecution-request-name
 */
export function executionName(
  request: Pick<RunRequest, 'repo' | 'kind' | 'sha' | 'deliveryId' | 'pullRequest'>,
): string {
  // The intake accepts only delivery ids that fit (github-headers.ts); the cut is a last resort.
  const delivery = sanitize(request.deliveryId).slice(0, MAX_LENGTH);
  const revision =
    ZERO_SHA.test(request.sha) && request.pullRequest ? `pr${request.pullRequest.number}` : request.sha.slice(0, 7);
  const suffix = sanitize(`${request.kind}-${revision}`);
  const repoName = sanitize(request.repo.slice(request.repo.indexOf('/') + 1));

  const room = MAX_LENGTH - delivery.length - 1;
  const repoRoom = room - suffix.length - 1;
  const repoPart = repoRoom >= 1 ? trimDashes(repoName.slice(0, repoRoom)) : '';
  const prefix = repoPart ? `${repoPart}-${suffix}` : trimDashes(suffix.slice(0, Math.max(room, 0)));
  return prefix ? `${prefix}-${delivery}` : delivery;
}

function sanitize(value: string): string {
  return trimDashes(value.replace(/[^A-Za-z0-9_-]+/g, '-'));
}

function trimDashes(value: string): string {
  return value.replace(/^-+|-+$/g, '');
}

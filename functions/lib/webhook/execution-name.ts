import type { RunRequest } from '../workflow/contract.ts';

/** Step Functions' limit on execution names; the charset is what stays readable in ARNs and logs. */
const MAX_LENGTH = 80;
const ZERO_SHA = /^0{40}$/;

/**
 * The execution's name, as the Step Functions console lists it: `<runId>-<repo>-<kind>-<sha7 | pr<n>>`,
 * e.g. `01J9ZK6Q3R4S5T6V7W8X9Y0ZAB-infra-push-ec26c3e`. The run id comes first and whole, so a run
 * (`pushgate run <runId>`, Slack, the run record) is found in the console by its id and the other way
 * round; the repository name is cut to fit, then the rest of the readable part.
 *
 * It is unique per run, not per delivery (a run id is a fresh ULID per intake attempt). A repeated
 * delivery never gets here: the intake accepts a delivery id once (a conditional put) before it starts
 * anything. A start retried within one attempt (the SDK retrying a lost answer) has the same name and
 * input, which Step Functions answers with the same execution. And an execution whose start the intake
 * gave up on finds its run marked `failed` and stops at Validate, so a redelivery's new run is the only
 * one that deploys.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#StepFunctions-StartExecution-request-name
 */
export function executionName(request: Pick<RunRequest, 'runId' | 'repo' | 'kind' | 'sha' | 'pullRequest'>): string {
  // Run ids are ULIDs (26 characters); the cut is a last resort for ids from elsewhere.
  const runId = sanitize(request.runId).slice(0, MAX_LENGTH);
  const revision =
    ZERO_SHA.test(request.sha) && request.pullRequest ? `pr${request.pullRequest.number}` : request.sha.slice(0, 7);
  const suffix = sanitize(`${request.kind}-${revision}`);
  const repoName = sanitize(request.repo.slice(request.repo.indexOf('/') + 1));

  const room = MAX_LENGTH - runId.length - 1;
  const repoRoom = room - suffix.length - 1;
  const repoPart = repoRoom >= 1 ? trimDashes(repoName.slice(0, repoRoom)) : '';
  const rest = repoPart ? `${repoPart}-${suffix}` : trimDashes(suffix.slice(0, Math.max(room, 0)));
  return rest ? `${runId}-${rest}` : runId;
}

function sanitize(value: string): string {
  return trimDashes(value.replace(/[^A-Za-z0-9_-]+/g, '-'));
}

function trimDashes(value: string): string {
  return value.replace(/^-+|-+$/g, '');
}

import type { TargetKey } from './types.ts';
import { StoreError } from './errors.ts';

/**
 * Item design of the one table (infra/table.yml). Keys are built here and nowhere else; records are
 * read from their own attributes, never parsed back out of a key.
 *
 * | record (access pattern)  | pk                                      | sk                                | gsi1pk / gsi1sk                                              |
 * |--------------------------|-----------------------------------------|-----------------------------------|--------------------------------------------------------------|
 * | delivery (1)             | DELIVERY#<deliveryId>                   | DELIVERY                          | –                                                            |
 * | run (2, 5)               | RUN#<runId>                             | RUN                               | SHA#<repo>#<sha> / <createdAt>#<runId>                       |
 * | run of a repository (7)  | RUNS#<repo>                             | <createdAt>#<runId>               | –                                                            |
 * | target (2)               | RUN#<runId>                             | TARGET#<project>#<environment>    | ENV#<repo>#<environment> / <createdAt>#<runId>#<project>     |
 * | deployment history (3)   | DEPLOY#<repo>#<environment>             | <deployedAt>#<project>#<runId>    | –                                                            |
 * | deployed now (4)         | CURRENT#<repo>#<environment>            | PROJECT#<project>                 | –                                                            |
 * | deployed environment (8) | DEPLOYED                                | <repo>#<environment>              | –                                                            |
 * | lock (6)                 | LOCK#<repo>#<project>#<environment>     | LOCK                              | LOCKS#<repo> / <project>#<environment> (only while held)     |
 * | lock queue ticket (6)    | LOCK#<repo>#<project>#<environment>     | WAIT#<position>#<owner>           | LOCKWAITS / LOCK#<repo>#<project>#<environment>#<position>   |
 * |                          |                                         |                                   |   (only while parked on a task token: the lock sweep's list) |
 * | unlock by a person (6)   | LOCK#<repo>#<project>#<environment>     | UNLOCK#<at>#<by>                  | –                                                            |
 *
 * - A run and its targets share a partition: one consistent Query reads a whole run.
 * - A lock and its queue share a partition: one consistent Query shows the holder and every waiter,
 *   and the tickets sort by queue position.
 * - Timestamps in keys are ISO 8601 UTC (`Date#toISOString`), so string order is time order;
 *   "newest first" is a Query with ScanIndexForward false.
 * - `expiresAt` (epoch seconds, the table's TTL attribute) is set on deliveries (7 days), locks
 *   (lease end + 1 day) and queue tickets; it only lets DynamoDB clean up. TTL deletion can lag by
 *   days, so every condition checks expiry itself (`expiresAt < :now`, `leaseExpiresAt < :now`).
 * - A run's place in its repository's list (pattern 7) is an item of its own in the main table, not
 *   an index key of the run: the run's gsi1 keys are its commit's. It holds only what never changes
 *   (the run's status is read from the run), so it is written once, before the run, and never updated.
 * - A held lock carries gsi1 keys of its repository (a sparse index of held locks: a release removes
 *   them), so `pushgate locks` finds every held lock of a repository with one Query.
 * - Every item carries `entity` (`delivery`, `run`, …) so a table export reads without the key scheme.
 *
 * Repository, project and environment names are joined with `#`, so they must not contain it
 * (GitHub names cannot; pushgate.yml names should not): `ENV#a#b#c` must mean one thing only.
 */

export const GSI1 = 'gsi1';

/** Attributes that exist for the table, not for the record; stripped when an item is read. */
export const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'expiresAt', 'entity'] as const;

export const TARGET_SK_PREFIX = 'TARGET#';
export const TICKET_SK_PREFIX = 'WAIT#';
export const UNLOCK_SK_PREFIX = 'UNLOCK#';
const LOCK_SK = 'LOCK';

export interface ItemKey {
  pk: string;
  sk: string;
}

/** A key component that is joined with `#` to others: a `#` inside it would make two keys collide. */
function part(name: string, value: string): string {
  if (value === '' || value.includes('#')) {
    throw new StoreError(`${name} must be non-empty and must not contain '#': ${JSON.stringify(value)}`);
  }
  return value;
}

/** Keys of a webhook delivery (pattern 1). */
export function deliveryKey(deliveryId: string): ItemKey {
  return { pk: `DELIVERY#${part('deliveryId', deliveryId)}`, sk: 'DELIVERY' };
}

/** Keys of a run (pattern 2). */
export function runKey(runId: string): ItemKey {
  return { pk: `RUN#${part('runId', runId)}`, sk: 'RUN' };
}

/** gsi1 partition of the runs of one commit (pattern 5). */
export function shaIndexPk(repo: string, sha: string): string {
  return `SHA#${part('repo', repo)}#${part('sha', sha)}`;
}

/** gsi1 keys of a run: by commit, in creation order. */
export function runIndexKeys(run: { repo: string; sha: string; createdAt: string; runId: string }): {
  gsi1pk: string;
  gsi1sk: string;
} {
  return { gsi1pk: shaIndexPk(run.repo, run.sha), gsi1sk: `${run.createdAt}#${run.runId}` };
}

/** Partition of the runs of one repository (pattern 7), sorted by creation time. */
export function repoRunsPk(repo: string): string {
  return `RUNS#${part('repo', repo)}`;
}

/** Keys of a run's entry in its repository's list (pattern 7). */
export function repoRunKey(run: { repo: string; createdAt: string; runId: string }): ItemKey {
  return { pk: repoRunsPk(run.repo), sk: `${run.createdAt}#${part('runId', run.runId)}` };
}

/** Keys of one target (project × environment) of a run (pattern 2). */
export function targetItemKey(runId: string, project: string, environment: string): ItemKey {
  return {
    pk: runKey(runId).pk,
    sk: `${TARGET_SK_PREFIX}${part('project', project)}#${part('environment', environment)}`,
  };
}

/** gsi1 partition of the targets that ran in one environment of a repository. */
export function environmentIndexPk(repo: string, environment: string): string {
  return `ENV#${part('repo', repo)}#${part('environment', environment)}`;
}

/** gsi1 keys of a target: by environment, in creation order. */
export function targetIndexKeys(target: {
  repo: string;
  environment: string;
  createdAt: string;
  runId: string;
  project: string;
}): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: environmentIndexPk(target.repo, target.environment),
    gsi1sk: `${target.createdAt}#${target.runId}#${target.project}`,
  };
}

/** Partition of the deployment history of one environment (pattern 3). */
export function deploymentsPk(repo: string, environment: string): string {
  return `DEPLOY#${part('repo', repo)}#${part('environment', environment)}`;
}

/** Keys of one history entry; `deployedAt` first so the partition sorts by time. */
export function deploymentKey(deployment: {
  repo: string;
  environment: string;
  project: string;
  runId: string;
  deployedAt: string;
}): ItemKey {
  return {
    pk: deploymentsPk(deployment.repo, deployment.environment),
    sk: `${deployment.deployedAt}#${part('project', deployment.project)}#${part('runId', deployment.runId)}`,
  };
}

/** Partition of what is deployed now in one environment (pattern 4). */
export function currentPk(repo: string, environment: string): string {
  return `CURRENT#${part('repo', repo)}#${part('environment', environment)}`;
}

/** Keys of what is deployed now for one project in one environment. */
export function currentKey(repo: string, environment: string, project: string): ItemKey {
  return { pk: currentPk(repo, environment), sk: `PROJECT#${part('project', project)}` };
}

/** Partition of the registry of every repository + environment with a deployment (pattern 8: drift checks). */
export const DEPLOYED_PK = 'DEPLOYED';

/** Keys of one repository + environment in the registry; the repository first, so one repository's are a prefix. */
export function deployedEnvironmentKey(repo: string, environment: string): ItemKey {
  return { pk: DEPLOYED_PK, sk: `${part('repo', repo)}#${part('environment', environment)}` };
}

/** The sort-key prefix of one repository's entries in the registry. */
export function deployedEnvironmentPrefix(repo: string): string {
  return `${part('repo', repo)}#`;
}

/** Partition of a lock and its queue (pattern 6). */
export function lockPk(key: TargetKey): string {
  return `LOCK#${part('repo', key.repo)}#${part('project', key.project)}#${part('environment', key.environment)}`;
}

/** gsi1 partition of the held locks of a repository (pattern 6). */
export function heldLocksIndexPk(repo: string): string {
  return `LOCKS#${part('repo', repo)}`;
}

/** gsi1 keys of a held lock: by repository, then project and environment. */
export function lockIndexKeys(key: TargetKey): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: heldLocksIndexPk(key.repo),
    gsi1sk: `${part('project', key.project)}#${part('environment', key.environment)}`,
  };
}

/** Keys of the lock itself. */
export function lockKey(key: TargetKey): ItemKey {
  return { pk: lockPk(key), sk: LOCK_SK };
}

/** gsi1 partition of the queue tickets parked on a task token (WaitForLock), across repositories: the lock sweep's list. */
export const PARKED_TICKETS_INDEX_PK = 'LOCKWAITS';

/** gsi1 keys of a parked ticket: by lock, then queue position. */
export function parkedTicketIndexKeys(
  key: TargetKey,
  position: string,
  owner: string,
): { gsi1pk: string; gsi1sk: string } {
  return { gsi1pk: PARKED_TICKETS_INDEX_PK, gsi1sk: `${lockPk(key)}#${position}#${part('owner', owner)}` };
}

/** Keys of one waiter's queue ticket; the position comes first so tickets sort in queue order. */
export function ticketKey(key: TargetKey, position: string, owner: string): ItemKey {
  if (position === '') throw new StoreError('queue position must be non-empty');
  return { pk: lockPk(key), sk: `${TICKET_SK_PREFIX}${position}#${part('owner', owner)}` };
}

/** Keys of the record of one unlock by a person; the time comes first so the records sort by it. */
export function unlockKey(key: TargetKey, at: string, by: string): ItemKey {
  return { pk: lockPk(key), sk: `${UNLOCK_SK_PREFIX}${at}#${part('by', by)}` };
}

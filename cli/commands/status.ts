import { Command } from 'commander';
import { formatDriftSummary } from '../../functions/lib/drift/drift-summary.ts';
import { formatSummary } from '../../functions/lib/plan/format-summary.ts';
import { repoOption } from '../lib/repo-option.ts';
import type { ApprovalEntry, DeploymentRecord } from '../../functions/lib/store/types.ts';

const VIA: Record<ApprovalEntry['via'], string> = { github: 'a comment', slack: 'Slack', cli: 'the CLI' };

/** `approved by alice-admin at … through a comment`. */
export function describeApproval(approval: ApprovalEntry): string {
  const reason = approval.reason ? `: ${approval.reason}` : '';
  return `${approval.decision} by ${approval.by} at ${approval.at} through ${VIA[approval.via]}${reason}`;
}

/**
 * `drifted since <when>: ~1 change (pushgate drift --env prod)` for a project whose last drift check
 * found drift; undefined when it did not (or none ran yet).
 */
export function describeDrift(deployed: Pick<DeploymentRecord, 'environment' | 'drift'>): string | undefined {
  const drift = deployed.drift;
  if (!drift?.drifted) return undefined;
  const since = drift.since ?? drift.checkedAt;
  const summary = drift.summary ? formatDriftSummary(drift.summary) : 'changes';
  return `drifted since ${since}: ${summary} (pushgate drift --env ${deployed.environment})`;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `pushgate status --repo owner/name`: what is deployed now in each environment, and which locks are held. */
export function statusCommand(): Command {
  return new Command('status')
    .description(
      'what is deployed where: the commit each project runs in each environment, drift its last check found, and held locks',
    )
    .addOption(repoOption())
    .option('--env <name>', 'an environment (repeatable; default: every environment of ./pushgate.yml)', collect)
    .option('--table <name>', 'the pushgate table (default: $PUSHGATE_TABLE)')
    .option('--json', 'print JSON')
    .action(async (options: { repo: string; env?: string[]; table?: string; json?: boolean }) => {
      // Loaded here: the AWS SDK and the config schema are most of the CLI's start time, and `--help` should not pay for them.
      const [{ storeFromEnv }, { readEnvironments }] = await Promise.all([
        import('../lib/store-from-env.ts'),
        import('../lib/read-environments.ts'),
      ]);
      const { store } = storeFromEnv(options.table);
      const environments = await readEnvironments(options.env);
      const now = new Date();
      const report = [];
      for (const environment of environments) {
        const deployed = await store.getCurrent(options.repo, environment);
        const locks = [];
        for (const { project } of deployed) {
          const lock = await store.getLock({ repo: options.repo, project, environment }, now);
          if (lock && !lock.expired) locks.push(lock);
        }
        report.push({ environment, deployed, locks });
      }
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ repo: options.repo, environments: report }, null, 2)}\n`);
        return;
      }
      const lines = [options.repo];
      for (const { environment, deployed, locks } of report) {
        lines.push(`  ${environment}`);
        if (deployed.length === 0) lines.push('    nothing deployed yet');
        for (const d of deployed) {
          const summary = d.summary ? `  ${formatSummary(d.summary)}` : '';
          lines.push(
            `    ${d.project.padEnd(16)} ${d.sha.slice(0, 7)}  ${d.deployedAt}  by ${d.actor}  run ${d.runId}${summary}`,
          );
          for (const approval of d.approvals ?? []) lines.push(`    ${' '.repeat(16)} ${describeApproval(approval)}`);
          const drift = describeDrift(d);
          if (drift) lines.push(`    ${' '.repeat(16)} ${drift}`);
        }
        for (const lock of locks) {
          lines.push(
            `    ${lock.project} is locked by run ${lock.owner} since ${lock.acquiredAt} (lease until ${lock.leaseExpiresAt})`,
          );
        }
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

import { Command } from 'commander';
import type { ApprovalDecisionResult } from '../../functions/lib/approval/approval-request.ts';
import { ApproveInvocation } from '../../functions/lib/approval/approve-invocation.ts';
import { callerIntent } from '../../functions/lib/approval/caller-intent.ts';
import { EXIT_FAILED, EXIT_USAGE } from '../lib/exit-codes.ts';

/** Exit codes: 0 decided, 1 refused (or anything else went wrong), 2 a usage error. */
export const REFUSED_EXIT_CODE = EXIT_FAILED;

/** A usage error whose message names the usage itself: one line, exit 2. */
function usage(message: string): void {
  process.stderr.write(`pushgate: ${message}\n`);
  process.exitCode = EXIT_USAGE;
}

interface DecisionOptions {
  project?: string;
  env?: string;
  reason?: string;
  stage?: string;
  function?: string;
  json?: boolean;
}

/**
 * The approve function's name: `--function`, else `PUSHGATE_APPROVE_FUNCTION`, else
 * `pushgate-<stage>-approve` with the stage from `--stage`, `PUSHGATE_STAGE` or `local` (the local
 * stack's), as serverless.yml names functions.
 */
export function approveFunctionName(options: DecisionOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (options.function) return options.function;
  if (env.PUSHGATE_APPROVE_FUNCTION) return env.PUSHGATE_APPROVE_FUNCTION;
  return `pushgate-${options.stage ?? env.PUSHGATE_STAGE ?? 'local'}-approve`;
}

function decisionCommand(decision: 'approve' | 'reject'): Command {
  const command = new Command(decision)
    .description(
      decision === 'approve'
        ? "approve a run's targets waiting for approval, as your AWS identity"
        : "reject a run's targets waiting for approval, as your AWS identity",
    )
    .argument('[runId]', 'the run id (`git push`, Slack and `pushgate run` name it)')
    .option('--project <name>', 'only this project')
    .option('--env <name>', 'only this environment')
    .option('--stage <stage>', 'the pushgate stage (default: $PUSHGATE_STAGE or local)')
    .option('--function <name>', 'the approve function (default: pushgate-<stage>-approve)')
    .option('--json', 'print the result as JSON');
  if (decision === 'reject') command.option('--reason <text>', 'why (required)');
  return command.action(async (runId: string | undefined, options: DecisionOptions) => {
    if (!runId) return usage(`${decision} needs a run id: pushgate ${decision} <runId>`);
    if (decision === 'reject' && !options.reason?.trim()) {
      return usage('reject needs a reason: pushgate reject <runId> --reason <text>');
    }
    // Loaded here: the AWS SDK is most of the CLI's start time, and `--help` should not pay for it.
    const [{ LambdaClient, InvokeCommand }, { presignCallerIdentity }] = await Promise.all([
      import('@aws-sdk/client-lambda'),
      import('../lib/presign-caller-identity.ts'),
    ]);
    // The proof is bound to this decision as the function will read it (callerIntent of the parsed fields).
    const fields = ApproveInvocation.omit({ identity: true }).safeParse({
      decision,
      runId,
      ...(options.project ? { project: options.project } : {}),
      ...(options.env ? { environment: options.env } : {}),
      ...(options.reason ? { reason: options.reason } : {}),
    });
    if (!fields.success) return usage(`invalid ${decision}: ${fields.error.issues[0]?.message ?? 'invalid'}`);
    const payload = {
      ...fields.data,
      identity: { presignedUrl: await presignCallerIdentity(callerIntent('approve', fields.data)) },
    };
    const client = new LambdaClient({});
    let result: ApprovalDecisionResult;
    try {
      const output = await client.send(
        new InvokeCommand({
          FunctionName: approveFunctionName(options),
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
      const text = new TextDecoder().decode(output.Payload ?? new Uint8Array());
      if (output.FunctionError) throw new Error(`the approve function failed: ${text.slice(0, 500)}`);
      result = JSON.parse(text) as ApprovalDecisionResult;
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      // The usual first-time mistakes, with what to do next.
      if (name === 'ResourceNotFoundException') {
        process.stderr.write(
          `pushgate ${decision}: there is no function ${approveFunctionName(options)}: give the stage (--stage <stage> or PUSHGATE_STAGE) or the function (--function)\n`,
        );
        process.exitCode = REFUSED_EXIT_CODE;
        return;
      }
      if (name === 'AccessDeniedException') {
        process.stderr.write(
          `pushgate ${decision}: your AWS identity may not invoke ${approveFunctionName(options)}: ask for lambda:InvokeFunction on it (and an entry in the platform policy's awsPrincipals)\n`,
        );
        process.exitCode = REFUSED_EXIT_CODE;
        return;
      }
      throw error;
    } finally {
      client.destroy();
    }
    process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${result.message}\n`);
    if (!result.ok) process.exitCode = REFUSED_EXIT_CODE;
  });
}

/** `pushgate approve <runId> [--project p] [--env e]`. */
export function approveCommand(): Command {
  return decisionCommand('approve');
}

/** `pushgate reject <runId> --reason <text>`. */
export function rejectCommand(): Command {
  return decisionCommand('reject');
}

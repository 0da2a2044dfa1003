import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { Command } from 'commander';
import { formatSummary } from '../../functions/lib/plan/format-summary.ts';
import type { PlanSummary } from '../../functions/lib/store/types.ts';

/** Exit code for "the input is not a plan", apart from 1 (anything else went wrong). */
export const NOT_A_PLAN_EXIT_CODE = 2;

/** `pushgate summarize <file> [--json]`: what Summarize would record for a plan file. */
export function summarizeCommand(): Command {
  return new Command('summarize')
    .description(
      'count the changes in a plan: `terraform show -json` / `tofu show -json`, `aws cloudformation describe-change-set` or pushgate-plan/1',
    )
    .argument('<file>', 'the plan as JSON; - reads standard input')
    .option('--json', 'print the summary as a JSON object instead of Terraform words')
    .action(async (file: string, options: { json?: boolean }) => {
      // Loaded here: the plan schemas take a third of a second to load, and `--help` should not pay for them.
      const [{ parsePlanJson }, { summarizePlan }] = await Promise.all([
        import('../../functions/lib/plan/parse-plan-json.ts'),
        import('../../functions/lib/plan/summarize-plan.ts'),
      ]);
      let summary: PlanSummary;
      try {
        summary = summarizePlan(parsePlanJson(await readPlanFile(file)));
      } catch (error) {
        // PlanFormatError and UnreadableFileError messages are one line, fit to show; no stack trace.
        const reason = error instanceof Error ? error.message : String(error);
        process.stderr.write(`pushgate: ${file} is not a plan: ${reason}\n`);
        process.exitCode = NOT_A_PLAN_EXIT_CODE;
        return;
      }
      process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
    });
}

class UnreadableFileError extends Error {}

async function readPlanFile(file: string): Promise<string> {
  if (file === '-') return text(process.stdin);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : `cannot read it (${code ?? 'unknown error'})`;
    throw new UnreadableFileError(reason, { cause: error });
  }
}

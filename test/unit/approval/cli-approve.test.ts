import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { approveFunctionName } from '../../../cli/commands/approve.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `node cli/bin.js …` as a user runs it: a real process, its exit code and both streams. */
function pushgate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['cli/bin.js', ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe.concurrent('pushgate approve|reject: usage', () => {
  it('exits 2 without a run id', async ({ expect }) => {
    const result = await pushgate('approve');
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe('pushgate: approve needs a run id: pushgate approve <runId>\n');
  });

  it('exits 2 for a rejection without a reason', async ({ expect }) => {
    const result = await pushgate('reject', '01JRUN');
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe('pushgate: reject needs a reason: pushgate reject <runId> --reason <text>\n');
  });

  it('names the approve function after the stage', ({ expect }) => {
    expect(approveFunctionName({}, {})).toBe('pushgate-local-approve');
    expect(approveFunctionName({}, { PUSHGATE_STAGE: 'prod' })).toBe('pushgate-prod-approve');
    expect(approveFunctionName({ stage: 'dev' }, { PUSHGATE_STAGE: 'prod' })).toBe('pushgate-dev-approve');
    expect(approveFunctionName({ function: 'mine' }, {})).toBe('mine');
  });
});

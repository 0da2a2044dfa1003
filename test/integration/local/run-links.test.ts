import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, terraformConfig, type Harness } from '../../helpers/stack-harness.ts';

// Locally there is no Step Functions console (account 000000000000 has no pages): where AWS links to
// the execution's console page, the local stack names the command that shows the run on this
// machine. Seen by a user in the two places that link to a run: `git push` and the Slack message.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

const tf = { 'infra/network/main.tf': 'resource "null_resource" "a" {}\n' };

describe('links to a run on the local stack', () => {
  it('git push and the Slack message name `pushgate run <runId>`, never a console of account 000000000000', async () => {
    const repo = await h.repository('links', { 'pushgate.yml': terraformConfig(), ...tf });
    const { runIds, output } = await repo.push({}, 'first');
    expect(runIds).toHaveLength(1);
    const runId = runIds[0]!;
    expect(output).toContain(`remote: pushgate: run ${runId} started; see it with: pushgate run ${runId}`);
    expect(output).not.toContain('console.aws.amazon.com');

    const result = await repo.finished(runId);
    expect(result.run.status).toBe('succeeded');
    const messages = h.stack.slack.messages.filter((message) => JSON.stringify(message.payload).includes(runId));
    expect(messages).toHaveLength(1);
    const payload = JSON.stringify(messages[0]!.payload);
    // A command, not a URL: shown as code, never wrapped in Slack's link markup.
    expect(payload).toContain(`\`pushgate run ${runId}\``);
    expect(payload).not.toContain('<pushgate run');
    expect(payload).not.toContain('console.aws.amazon.com');
  });
});

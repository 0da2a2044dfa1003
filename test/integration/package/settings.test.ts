import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readWebhookConfig } from '../../../functions/webhook/config.ts';
import settings from '../../../infra/settings.cjs';

const { checkSettings, SETTINGS } = settings;
const root = fileURLToPath(new URL('../../../', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'pushgate-settings-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const APPLY = 'arn:aws:iam::111111111111:role/deploy-prod';
/** What serverless.yml resolves when nothing is given (custom: defaults). */
const NOTHING = {
  allowedRepos: '',
  sourceOwner: '',
  applyRoleArns: '',
  planRoleArns: '',
  stateBucket: '',
  stateLockTable: '',
  changeSetStackPattern: '-*',
  slackChannels: '{"default":""}',
  githubAppSecret: '',
  driftTick: 'rate(15 minutes)',
};
const VALID = { ...NOTHING, allowedRepos: 'acme/infra,acme/apps', sourceOwner: 'acme', applyRoleArns: APPLY };

/** osls as `npm run package` / `npm run deploy` run it: offline, empty credentials, no telemetry. */
async function osls(args: string[]): Promise<{ ok: boolean; output: string }> {
  return promisify(execFile)('npx', ['osls', ...args], {
    cwd: root,
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', SLS_TELEMETRY_DISABLED: '1' },
    maxBuffer: 10 * 1024 * 1024,
  }).then(
    ({ stdout, stderr }) => ({ ok: true, output: `${stdout}${stderr}` }),
    (error: { stdout?: string; stderr?: string }) => ({
      ok: false,
      output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
    }),
  );
}

describe('deploy settings (infra/settings.cjs)', () => {
  it('names every missing required setting and how to give it', () => {
    expect(() => checkSettings(NOTHING, 'prod')).toThrow(/allowedRepos: missing/);
    let message = '';
    try {
      checkSettings(NOTHING, 'prod');
    } catch (error) {
      message = (error as Error).message;
      expect((error as Error).name).toBe('InvalidSettingsError');
    }
    expect(message).toContain('stage prod');
    expect(message).toContain('--param="allowedRepos=acme/infra,acme/apps"');
    expect(message).toContain('applyRoleArns: missing');
    // The default change set pattern without an owner is not a second complaint.
    expect(message).not.toContain('changeSetStackPattern');
  });

  it('accepts a complete set and derives sourceOwner from a single-owner allowedRepos', () => {
    expect(checkSettings(VALID)).toMatchObject({ allowedRepos: ['acme/infra', 'acme/apps'], applyRoleArns: [APPLY] });
    expect(checkSettings({ ...VALID, sourceOwner: '' }).sourceOwner).toBe('acme');
    expect(() => checkSettings({ ...VALID, sourceOwner: '', allowedRepos: 'acme/infra,other/*' })).toThrow(
      /sourceOwner: required: allowedRepos names several owners \(acme, other\)/,
    );
  });

  it.each([
    ['allowedRepos', 'acme', /expected owner\/name or owner\/\* \(got "acme"\)/],
    ['applyRoleArns', '*', /expected IAM role ARNs/],
    ['applyRoleArns', 'arn:aws:iam::*:role/*', /expected IAM role ARNs/],
    ['applyRoleArns', 'arn:aws:iam::1*:role/deploy-*', /expected IAM role ARNs/],
    ['applyRoleArns', 'arn:aws:iam::111111111111:role/*', /assume \(nearly\) any role/],
    ['applyRoleArns', 'arn:aws:iam::111111111111:role/d*', /assume \(nearly\) any role/],
    ['planRoleArns', 'arn:aws:iam::111111111111:role/?*', /assume \(nearly\) any role/],
    ['planRoleArns', 'arn:aws:s3:::bucket', /expected IAM role ARNs/],
    ['stateBucket', 'Not_A_Bucket', /expected an S3 bucket name/],
    ['changeSetStackPattern', '*', /matches \(nearly\) every stack/],
    ['changeSetStackPattern', '*acme*', /matches \(nearly\) every stack/],
    ['changeSetStackPattern', 'a*', /matches \(nearly\) every stack/],
    ['slackChannels', '{"default":', /is not JSON/],
    ['slackChannels', '{"prod":"C0123"}', /needs a "default" channel/],
    ['slackChannels', '{"default":"#general"}', /expected a Slack channel id/],
    ['githubAppSecret', 'has spaces', /expected a Secrets Manager secret name/],
    ['githubAppSecret', 'github-app', /under pushgate\//],
    ['driftTick', 'rate(1 minutes)', /expected a rate expression/],
    ['driftTick', 'cron(0 * * * ? *)', /expected a rate expression/],
  ])('refuses %s=%s', (name, value, reason) => {
    expect(() => checkSettings({ ...VALID, [name]: value })).toThrow(reason);
    expect(() => checkSettings({ ...VALID, [name]: value })).toThrow(`${name}: `);
  });

  it('accepts exactly the allowedRepos the webhook accepts at cold start', () => {
    const env = {
      TABLE_NAME: 't',
      STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111111111111:stateMachine:pushgate-dev-deploy',
      WEBHOOK_SECRET_PARAMETER: '/pushgate/dev/webhook-secret',
    };
    for (const value of ['acme/infra', 'acme/*', 'a.b/c_d-e, x/y', 'acme', '*/infra', 'acme/in fra', 'acme/a/b', ',']) {
      const webhook = (() => {
        try {
          readWebhookConfig({ ...env, ALLOWED_REPOS: value });
          return true;
        } catch {
          return false;
        }
      })();
      const deploy = (() => {
        try {
          checkSettings({ ...VALID, allowedRepos: value });
          return true;
        } catch {
          return false;
        }
      })();
      expect(deploy, value).toBe(webhook);
    }
  });

  it('documents every setting with an example that passes the check', () => {
    const examples = Object.fromEntries(Object.entries(SETTINGS).map(([name, info]) => [name, info.example]));
    expect(() => checkSettings({ ...NOTHING, ...examples })).not.toThrow();
  });
});

describe('osls with the settings plugin', () => {
  it('stops `osls package` before bundling, with the same message', { timeout: 60_000 }, async () => {
    const { ok, output } = await osls(['package', '--package', out, '--stage', 'prod', '--param=planRoleArns=nope']);
    expect(ok, output).toBe(false);
    expect(output).toContain(
      'pushgate settings for stage prod are missing or invalid; nothing was packaged or deployed',
    );
    expect(output).toContain('allowedRepos: missing');
    expect(output).toContain('--param="allowedRepos=acme/infra,acme/apps"');
    expect(output).toContain('applyRoleArns: missing');
    expect(output).toContain(
      'planRoleArns: expected IAM role ARNs such as arn:aws:iam::111111111111:role/deploy-prod (got "nope")',
    );
    // No stack trace, and nothing bundled or written.
    expect(output).not.toMatch(/\n\s+at /);
    expect(readdirSync(out)).toEqual([]);
  });

  it(
    'resolves sourceOwner from allowedRepos, and needs no settings for commands that deploy nothing',
    {
      timeout: 60_000,
    },
    async () => {
      const derived = await osls([
        'print',
        '--path',
        'custom',
        '--format',
        'json',
        '--param=allowedRepos=acme/infra,acme/apps',
      ]);
      expect(derived.ok, derived.output).toBe(true);
      const custom = JSON.parse(derived.output.slice(derived.output.indexOf('{'))) as Record<string, string>;
      expect(custom).toMatchObject({
        sourceOwner: 'acme',
        changeSetStackPattern: 'acme-*',
        allowedRepos: 'acme/infra,acme/apps',
      });
      expect(Object.values(custom)).not.toContain('octocat');
    },
  );
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { WorkflowErrors } from '../../../functions/lib/workflow/contract.ts';
import { lambdaBuildOptions } from '../../../scripts/esbuild-options.ts';

/*
 * Step Functions' Retry and Catch match an error by its name (`LockHeldError` is retried while a
 * lock is busy, `SupersededError` ends a target superseded, …), and PushgateError names each error
 * after its class. A minifier renames classes: bundled as serverless.yml bundles the functions, the
 * names must survive, or on AWS no ErrorEquals of ours would ever match (the local stack runs the
 * sources, so nothing else would notice).
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'pushgate-error-names-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Every module that defines an error the workflow matches, as the functions import them. */
const ERROR_MODULES = [
  'functions/lib/run/errors.ts',
  'functions/lib/git/git-host-error.ts',
  'functions/lib/config/invalid-config-error.ts',
  'functions/lib/plan/errors.ts',
];

async function bundledErrors(): Promise<Record<string, unknown>> {
  const entry = join(out, 'errors-entry.ts');
  writeFileSync(entry, ERROR_MODULES.map((m) => `export * from ${JSON.stringify(join(root, m))};`).join('\n'));
  const outfile = join(out, 'errors.mjs');
  await build({ ...lambdaBuildOptions(entry, outfile), absWorkingDir: root });
  return (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
}

/**
 * The names the state machines' Retry and Catch list that are pushgate's own (not States.* or the
 * service integrations' Lambda.*, CodeBuild.*, StepFunctions.*).
 */
function namesInStateMachine(file: string): string[] {
  const text = readFileSync(join(root, 'state-machines', file), 'utf8');
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'ErrorEquals' && Array.isArray(value)) {
          for (const name of value)
            if (typeof name === 'string' && !/^(States|Lambda|CodeBuild|StepFunctions)\./.test(name)) names.add(name);
        } else visit(value);
      }
    }
  };
  visit(parse(text.replace(/!(Ref|GetAtt|Sub|Join)\b/g, ''), { logLevel: 'error' }));
  return [...names];
}

describe('error names in the bundles', () => {
  it('keep their class names, so that Retry and Catch match on AWS', async () => {
    const exported = await bundledErrors();
    const errorClasses = Object.entries(exported).filter(
      ([, value]) => typeof value === 'function' && (value as { prototype?: unknown }).prototype instanceof Error,
    );
    expect(errorClasses.length).toBeGreaterThan(5);
    for (const [exportName, value] of errorClasses) {
      const ErrorClass = value as new (message: string) => Error;
      expect(new ErrorClass('m').name, exportName).toBe(exportName);
    }
    const names = new Set(errorClasses.map(([name]) => name));
    for (const file of ['deploy.asl.yml', 'targets.asl.yml', 'target-steps.yml'])
      for (const name of namesInStateMachine(file)) expect(names, `${name} (${file})`).toContain(name);
    for (const name of [WorkflowErrors.LockHeld, WorkflowErrors.Superseded, WorkflowErrors.DependencyFailed]) {
      expect(names).toContain(name);
    }
  }, 60_000);
});

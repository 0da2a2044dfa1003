import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaBuildOptions } from '../../../scripts/esbuild-options.ts';

/*
 * The webhook's bundle as `osls package` builds it (serverless.yml custom.esbuild, read by
 * scripts/esbuild-options.ts). Sizes only: its import time is measured by `npm run bench -- cold-start`,
 * never asserted.
 */

/**
 * Issue 10's ceiling. The webhook calls AWS with signed requests over `fetch` (runtime/aws-fetch),
 * not the AWS SDK v3, whose clients were some 500 KB of a 753 KB bundle, and checks with zod/mini,
 * not classic zod (107 KB of the next 190 KB).
 */
const CEILING_BYTES = 300_000;

const root = fileURLToPath(new URL('../../../', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'pushgate-webhook-bundle-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

let bytes: number;
let metafile: Metafile;
let entry: string;
beforeAll(async () => {
  const outfile = join(out, 'handler.mjs');
  const options = lambdaBuildOptions(join(root, 'functions/webhook/handler.ts'), outfile);
  ({ metafile } = await build({ ...options, metafile: true, absWorkingDir: root }));
  bytes = statSync(outfile).size;
  entry = Object.values(metafile.outputs).find((output) => output.entryPoint)!.entryPoint!;
}, 60_000);

/** The inputs the entry reaches through static imports only: what runs when the module is imported. */
function staticallyReached(): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const input = queue.pop()!;
    if (seen.has(input)) continue;
    seen.add(input);
    for (const imported of metafile.inputs[input]?.imports ?? []) {
      if (imported.external || imported.kind === 'dynamic-import') continue;
      queue.push(imported.path);
    }
  }
  return seen;
}

describe('webhook bundle', () => {
  it(`stays under ${CEILING_BYTES / 1000} KB`, () => {
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(CEILING_BYTES);
  });

  it('holds no X-Ray SDK: the webhook relies on Lambda active tracing, not Powertools Tracer', () => {
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter((input) => /aws-xray-sdk|@aws-lambda-powertools\/tracer/.test(input))).toEqual([]);
  });

  it('holds no classic zod: its schemas are zod/mini (functions/lib/webhook/zod-mini.ts)', () => {
    // What is in the output: esbuild reads classic zod (lib/read-env.ts imports it) but shakes it out.
    const inputs = Object.values(metafile.outputs).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
        .map(([input]) => input),
    );
    expect(inputs.filter((input) => input.includes('node_modules/zod/v4/classic/'))).toEqual([]);
    // Nor the contract's module, which builds every state's schema with classic zod.
    expect(inputs.filter((input) => input.endsWith('functions/lib/workflow/contract.ts'))).toEqual([]);
    // Its payload and RunRequest checks are in the code that runs at import, so the tests above are not vacuous.
    const reached = [...staticallyReached()];
    expect(reached.some((input) => input.includes('node_modules/zod/v4/mini/'))).toBe(true);
    expect(reached.some((input) => input.endsWith('functions/lib/webhook/run-request-schema.ts'))).toBe(true);
  });

  it('holds no AWS SDK nor Powertools Parameters: its AWS calls go through runtime/aws-fetch', () => {
    const inputs = Object.keys(metafile.inputs);
    expect(
      inputs.filter((input) => /node_modules\/(@aws-sdk\/|@smithy\/|@aws-lambda-powertools\/parameters)/.test(input)),
    ).toEqual([]);
    // The light client is in the code that runs at import, so the test above is not vacuous.
    expect([...staticallyReached()].some((input) => input.includes('functions/lib/runtime/aws-fetch/'))).toBe(true);
  });
});

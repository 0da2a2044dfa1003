import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { lambdaBuildOptions } from '../scripts/esbuild-options.ts';
import { apiGatewayEvent, sign } from '../test/helpers/sign.ts';
import { bundleFunction, bytesByPackage } from './lib/bundle-function.ts';
import { coldImports } from './lib/cold-import.ts';
import { printTable } from './lib/print-table.ts';

/*
 * Every function's bundle size and cold import, side by side: each handler bundled with serverless.yml's
 * custom.esbuild (scripts/esbuild-options.ts, so the bench measures what `osls package` zips), then
 * imported in fresh `node` processes against an empty module measured in the same run.
 *   npm run bench -- cold-start     (COLD_START_RUNS=15: steadier medians; COLD_START_FUNCTIONS=webhook: one function)
 * Variants: the AWS SDK bundled, or left to the Lambda runtime's (`@aws-sdk/*` external, resolved here
 * from node_modules as the runtime resolves its own /var/runtime/node_modules; a function that imports
 * no SDK is measured once); for the webhook also its source map linked, the contract's classic zod
 * schemas added (what it checked its RunRequest with before zod/mini) and Powertools Tracer added. Each
 * function's variants and an empty module are imported in turns, so the machine's load falls on all
 * alike. Speed is measured here, never asserted in tests.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Under node_modules, so that an external `@aws-sdk/*` import resolves to the installed SDK.
const OUT = join(ROOT, 'node_modules', '.cache', 'pushgate-cold-start');
const RUNS = Number(process.env.COLD_START_RUNS ?? 7);
const SECRET = 'bench-secret';

/** The webhook's goal (issue 10): bundle under 300 KB, cold import within 1.5 × an empty module's + 50 ms. */
const GOAL = { kilobytes: 300, ratio: 1.5, plusMs: 50 };

/** Enough configuration for every handler's cold-start checks; local mode, so no secret is fetched. */
const ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  PUSHGATE_LOCAL: '1',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_METRICS_DISABLED: 'true',
  // As deployed (serverless.yml provider.environment): Node reads a bundle's source map at load when
  // the bundle links one.
  NODE_OPTIONS: deployedNodeOptions(),
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  TABLE_NAME: 'pushgate-bench',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:pushgate-bench',
  ALLOWED_REPOS: 'octocat/*',
  WEBHOOK_SECRET: SECRET,
  COMMANDS_FUNCTION_NAME: 'pushgate-bench-commands',
  ARTIFACT_BUCKET: 'pushgate-bench-artifacts',
  APPLY_PROJECT_NAME: 'pushgate-bench-apply',
  SLACK_CHANNELS: '{"default":""}',
};

/** provider.environment.NODE_OPTIONS of serverless.yml, if any. */
function deployedNodeOptions(): string {
  const text = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
  return /^ {4}NODE_OPTIONS: *(.+)$/m.exec(text)?.[1]?.trim() ?? '';
}

interface Variant {
  name: string;
  overrides: (packaged: BuildOptions) => BuildOptions;
}

const withoutSdk = (external: readonly string[] = []) => external.filter((item) => !item.startsWith('@aws-sdk/'));

const VARIANTS: Variant[] = [
  // No plugin: serverless.yml's plugins only decide where the SDK comes from.
  { name: 'SDK bundled', overrides: (packaged) => ({ external: withoutSdk(packaged.external), plugins: [] }) },
  {
    name: 'runtime SDK',
    overrides: (packaged) => ({ external: [...withoutSdk(packaged.external), '@aws-sdk/*'], plugins: [] }),
  },
];

/** The webhook as packaged, with one thing more: what it would cost (entries written next to the bundles). */
const WEBHOOK_EXTRAS: { name: string; file: string; lines: string[]; overrides?: BuildOptions }[] = [
  {
    name: 'source map linked',
    file: 'linked-map',
    // `sourcemap: external` writes the .map without a sourceMappingURL comment, so --enable-source-maps
    // has nothing to read; `linked` adds the comment, and Node then parses the map at load.
    lines: [],
    overrides: { sourcemap: 'linked' },
  },
  {
    name: '+ classic zod',
    file: 'with-classic-zod',
    // The contract's classic zod schemas (functions/lib/workflow/contract.ts), which the webhook checked
    // its RunRequest with before it took zod/mini copies (functions/lib/webhook/run-request-schema.ts).
    lines: [
      `import { RunRequest } from ${JSON.stringify(join(ROOT, 'functions/lib/workflow/contract.ts'))};`,
      `export const contract = RunRequest;`,
    ],
  },
  {
    name: '+ Tracer',
    file: 'with-tracer',
    // Powertools Tracer (aws-xray-sdk-core), as functions/lib/runtime/tracer.ts builds it.
    lines: [
      `import { Tracer } from '@aws-lambda-powertools/tracer';`,
      `export const tracer = new Tracer({ serviceName: 'pushgate', captureHTTPsRequests: false });`,
    ],
  },
];

/** A signed GitHub ping: the webhook's first call reads its secret and answers 200, with no AWS call. */
function pingEvent(): unknown {
  const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
  return apiGatewayEvent({
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/bench',
      'x-github-event': 'ping',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-hub-signature-256': sign(SECRET, body),
    },
  });
}

/** Every `functions/<name>/handler.ts`, or those COLD_START_FUNCTIONS (comma-separated) names. */
function functionNames(): string[] {
  const dir = join(ROOT, 'functions');
  const only = process.env.COLD_START_FUNCTIONS?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'handler.ts')))
    .map((entry) => entry.name)
    .filter((name) => !only?.length || only.includes(name))
    .sort();
}

const kb = (bytes: number) => (bytes / 1000).toFixed(1);
const ms = (value: number) => value.toFixed(1);

interface Built {
  variant: string;
  bytes: number;
  packaged: boolean;
  file: string;
}

export default async function coldStartBench(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  try {
    const empty = join(OUT, 'empty.mjs');
    writeFileSync(empty, 'export {};\n');
    console.log(`\nNODE_OPTIONS=${ENV.NODE_OPTIONS} (serverless.yml provider.environment).`);
    console.log(
      `Cold import: median of ${RUNS} fresh node ${process.version} processes per row, each function's rows and an empty module taken in turns.`,
    );
    console.log(
      `"x empty": import time over the empty module's in the same turns; "first call": import and one handler call (the webhook: a signed ping).`,
    );
    console.log(
      `Webhook goal: < ${GOAL.kilobytes} KB and import <= ${GOAL.ratio} x empty + ${GOAL.plusMs} ms, on the import's wall time and on its CPU time (steadier on a busy machine).\n`,
    );

    const rows: string[][] = [];
    for (const name of functionNames()) {
      const entry = join(ROOT, 'functions', name, 'handler.ts');
      const packagedFile = join(OUT, name, 'packaged.mjs');
      const packaged = await bundleFunction(entry, packagedFile);
      const packagedOptions = lambdaBuildOptions(entry, packagedFile);
      const built: Built[] = [];
      for (const variant of VARIANTS) {
        const outfile = join(OUT, name, `${variant.name.replace(/\W+/g, '-')}.mjs`);
        const bundle = await bundleFunction(entry, outfile, variant.overrides(packagedOptions));
        // The webhook imports no `@aws-sdk/*`: both variants are the same bundle, measured once.
        const same = built.find((other) => readFileSync(other.file).equals(readFileSync(outfile)));
        if (same !== undefined) {
          same.variant = `${same.variant} = ${variant.name}`;
          continue;
        }
        built.push({
          variant: variant.name,
          bytes: bundle.bytes,
          packaged: bundle.bytes === packaged.bytes,
          file: outfile,
        });
      }
      if (name === 'webhook') {
        for (const extra of WEBHOOK_EXTRAS) {
          const extraEntry = join(OUT, name, `${extra.file}.ts`);
          writeFileSync(extraEntry, [...extra.lines, `export { handler } from ${JSON.stringify(entry)};`].join('\n'));
          const outfile = join(OUT, name, `${extra.file}.mjs`);
          const bundle = await bundleFunction(extraEntry, outfile, { absWorkingDir: ROOT, ...extra.overrides });
          built.push({ variant: extra.name, bytes: bundle.bytes, packaged: false, file: outfile });
        }
        console.log(`Webhook as packaged (${kb(packaged.bytes)} KB), by package:`);
        const sizes = [...bytesByPackage(packaged.metafile)].slice(0, 12);
        printTable(
          ['', 'KB'],
          sizes.map(([pkg, bytes]) => [pkg, kb(bytes)]),
        );
        console.log('');
      }

      const event = name === 'webhook' ? pingEvent() : undefined;
      const [base, ...figures] = await coldImports(
        [{ file: empty }, ...built.map(({ file }) => ({ file, ...(event === undefined ? {} : { event }) }))],
        { runs: RUNS, env: ENV },
      );
      const budget = GOAL.ratio * base!.imported.median + GOAL.plusMs;
      const cpuBudget = GOAL.ratio * base!.importCpu.median + GOAL.plusMs;
      rows.push([
        name,
        'empty module',
        '',
        ms(base!.imported.median),
        '1.0',
        ms(base!.importCpu.median),
        '',
        ms(base!.process.median),
      ]);
      for (const [index, one] of built.entries()) {
        const measured = figures[index]!;
        rows.push([
          '',
          `${one.variant}${one.packaged ? ' *' : ''}`,
          kb(one.bytes),
          ms(measured.imported.median),
          (measured.imported.median / base!.imported.median).toFixed(1),
          ms(measured.importCpu.median),
          measured.firstCall ? ms(measured.firstCall.median) : '',
          ms(measured.process.median),
          ...(name === 'webhook'
            ? [
                [
                  one.bytes < GOAL.kilobytes * 1000 ? 'size ok' : 'size over',
                  measured.imported.median <= budget ? 'import ok' : `import over ${ms(budget)}`,
                  measured.importCpu.median <= cpuBudget ? 'cpu ok' : `cpu over ${ms(cpuBudget)}`,
                ].join(', '),
              ]
            : []),
        ]);
      }
    }
    printTable(
      [
        'function',
        'variant (* as packaged)',
        'KB',
        'import ms',
        'x empty',
        'cpu ms',
        'first call ms',
        'process ms',
        'goal',
      ],
      rows,
      2,
    );
    console.log(`\nBundles in ${relative(ROOT, OUT)}/ (removed after the run).`);
  } finally {
    rmSync(OUT, { recursive: true, force: true });
  }
}

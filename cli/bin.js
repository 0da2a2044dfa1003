#!/usr/bin/env node
// Two ways to run, one command:
// - from a clone (`npm link`, `npm install -g .`, `node cli/bin.js`), the TypeScript sources are here
//   and tsx compiles them on load, so what runs is always what is checked out;
// - from the package (`npm pack`, then `npm install -g pushgate-*.tgz`), there are no sources, only
//   the bundle `prepack` built (scripts/build-cli.ts), which starts several times faster.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The AWS SDK warns on every start under Node 20 that it will need Node 22 in 2027; pushgate's
// Lambdas already run on 22, and the CLI says nothing it cannot act on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let main;
if (existsSync(fileURLToPath(new URL('./main.ts', import.meta.url)))) {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(
      `pushgate: this clone has no tsx: run \`npm ci\` in ${fileURLToPath(new URL('..', import.meta.url))}\n`,
    );
    process.exit(1);
  }
  // The clone's own compiler options, whatever tsconfig.json the directory pushgate runs in has.
  register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
  ({ main } = await import('./main.ts'));
} else {
  ({ main } = await import('../dist/cli/pushgate.mjs'));
}
await main(process.argv);

#!/usr/bin/env node
// The CLI runs its TypeScript sources directly: tsx compiles them on load, so there is no build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every start under Node 20 that it will need Node 22 in 2027; pushgate's
// Lambdas already run on 22, and the CLI says nothing it cannot act on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('./main.ts');
await main(process.argv);

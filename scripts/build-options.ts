import type { BuildOptions } from 'esbuild';

/**
 * Some AWS SDK dependencies still call `require` (for Node built-ins) from their CommonJS builds; an ESM
 * bundle has no `require`, so the bundle makes one. Same banner as serverless.yml's esbuild settings.
 */
export const REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** How one Lambda handler is bundled: one minified ESM file for nodejs22.x, external source map. */
export function handlerBuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_BANNER },
    sourcemap: 'external',
    logLevel: 'warning',
  };
}

import { statSync } from 'node:fs';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { lambdaBuildOptions } from '../../scripts/esbuild-options.ts';

export interface Bundle {
  file: string;
  /** The bundle itself (the .mjs); the source map is external and loaded only with --enable-source-maps on an error. */
  bytes: number;
  metafile: Metafile;
}

/**
 * Bundles one handler the way `osls package` does (serverless.yml custom.esbuild, through
 * scripts/esbuild-options.ts), with `overrides` laid over it for a variant.
 */
export async function bundleFunction(entry: string, outfile: string, overrides: BuildOptions = {}): Promise<Bundle> {
  const result = await build({ ...lambdaBuildOptions(entry, outfile, overrides), metafile: true });
  return { file: outfile, bytes: statSync(outfile).size, metafile: result.metafile };
}

/** Bytes of the output by package (`zod`, `@aws-sdk/client-ssm`) or, for pushgate's own code, by folder. */
export function bytesByPackage(metafile: Metafile): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const key = match ? match[1]! : input.split('/').slice(0, 3).join('/');
      sizes.set(key, (sizes.get(key) ?? 0) + bytesInOutput);
    }
  }
  return new Map([...sizes].sort((a, b) => b[1] - a[1]));
}

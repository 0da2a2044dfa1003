import { readFile, rm } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * The `pushgate` CLI as plain JavaScript for the package (`npm pack` runs this as `prepack`): one ESM
 * entry, dist/cli/pushgate.mjs, whose commands load their code as chunks beside it on first use, so
 * `pushgate --help` reads a few kilobytes. tsx compiles the sources on every start instead, which
 * costs half a second before anything runs (measured with `pushgate --help`); a clone keeps using
 * the sources (cli/bin.js), so what it runs is always what is checked out.
 *
 * Dependencies stay outside the bundle (`dependencies` installs them), and the files read at run time
 * by path (serverless.yml, the state machine, the table, the git hook and the CodeBuild `aws`
 * stand-in) ship at their own places: package.json `files`.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const CLI_OUT_DIR = fileURLToPath(new URL('../dist/cli/', import.meta.url));

/**
 * Code that finds files next to itself (`new URL('../serverless.yml', import.meta.url)`) must still
 * find them from inside the bundle: each source file's `import.meta.url` becomes its own original
 * location, computed from the bundle's (every chunk sits in CLI_OUT_DIR).
 */
const sourceLocations: Plugin = {
  name: 'source-locations',
  setup(esbuild) {
    esbuild.onLoad({ filter: /\.(ts|mjs)$/ }, async ({ path }) => {
      if (path.split(sep).includes('node_modules')) return undefined;
      const text = await readFile(path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const fromBundle = relative(CLI_OUT_DIR, path).split(sep).join('/');
      return {
        contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`),
        loader: path.endsWith('.ts') ? 'ts' : 'js',
      };
    });
  },
};

export async function buildCli(): Promise<void> {
  await rm(CLI_OUT_DIR, { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: { pushgate: 'cli/main.ts' },
    outdir: CLI_OUT_DIR,
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    plugins: [sourceLocations],
    legalComments: 'none',
    logLevel: 'warning',
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildCli();
  console.log(`pushgate CLI bundled into ${relative(ROOT, CLI_OUT_DIR)}/`);
}

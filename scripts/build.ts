import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { lambdaBuildOptions } from './esbuild-options.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const functionsDir = join(root, 'functions');
const distDir = join(root, 'dist');

/** Every `functions/<name>/handler.ts`: one Lambda each. */
const names = readdirSync(functionsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(functionsDir, entry.name, 'handler.ts')))
  .map((entry) => entry.name)
  .sort();

rmSync(distDir, { recursive: true, force: true });
const rows: [string, string][] = [];
for (const name of names) {
  const outfile = join(distDir, name, 'index.mjs');
  await build(lambdaBuildOptions(join(functionsDir, name, 'handler.ts'), outfile));
  rows.push([relative(root, outfile), `${(statSync(outfile).size / 1024).toFixed(1)} KiB`]);
}

const width = Math.max(...rows.map(([file]) => file.length));
for (const [file, size] of rows) console.log(`${file.padEnd(width)}  ${size.padStart(10)}`);
console.log(`${names.length} functions bundled into ${relative(root, distDir)}/`);

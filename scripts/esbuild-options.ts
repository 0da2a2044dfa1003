import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BuildOptions, Plugin } from 'esbuild';
import { parse } from 'yaml';

const ROOT = new URL('../', import.meta.url);

/**
 * serverless.yml's `custom.esbuild`: what serverless-esbuild bundles every function with on
 * `osls package` / `osls deploy`. Read from there (not copied) so that the cold-start bench measures
 * exactly what is deployed.
 */
export interface ServerlessEsbuildSettings extends Record<string, unknown> {
  /** Marked external and left out of the zip (serverless-esbuild); `*` leaves every external out. */
  exclude?: string[];
  external?: string[];
  outputFileExtension?: string;
  /** A module (relative to the service) exporting esbuild plugins; serverless-esbuild `require`s it. */
  plugins?: string;
}

/** serverless-esbuild's own settings, which it strips before calling esbuild (its dist/bundle.js). */
const SERVERLESS_ESBUILD_KEYS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
  'plugins',
];

export function serverlessEsbuildSettings(
  serverlessYml: URL = new URL('serverless.yml', ROOT),
): ServerlessEsbuildSettings {
  // CloudFormation's short tags (!Ref, !GetAtt) elsewhere in the file stay unresolved strings: only
  // custom.esbuild is read, and it has none.
  const config = parse(readFileSync(serverlessYml, 'utf8'), { logLevel: 'error' }) as {
    custom?: { esbuild?: ServerlessEsbuildSettings };
  };
  const settings = config.custom?.esbuild;
  if (settings === undefined || typeof settings !== 'object') {
    throw new Error(`${serverlessYml.pathname} has no custom.esbuild block`);
  }
  return settings;
}

/** The esbuild plugins serverless-esbuild loads from `custom.esbuild.plugins`, loaded the same way. */
export function serverlessEsbuildPlugins(settings: ServerlessEsbuildSettings = serverlessEsbuildSettings()): Plugin[] {
  if (settings.plugins === undefined) return [];
  const loaded = createRequire(import.meta.url)(new URL(settings.plugins, ROOT).pathname) as
    Plugin[] | { default: Plugin[] };
  return Array.isArray(loaded) ? loaded : loaded.default;
}

/**
 * The esbuild options serverless-esbuild builds `entry` with (individually packaged, one output file
 * per function), written to `outfile` instead of its .esbuild folder. `overrides` lay over them: the
 * bench's variants (e.g. another `external`).
 */
export function lambdaBuildOptions(
  entry: string,
  outfile: string,
  overrides: BuildOptions = {},
  settings: ServerlessEsbuildSettings = serverlessEsbuildSettings(),
): BuildOptions {
  const esbuildOnly = Object.fromEntries(
    Object.entries(settings).filter(([key]) => !SERVERLESS_ESBUILD_KEYS.includes(key)),
  ) as BuildOptions;
  const exclude = settings.exclude ?? [];
  return {
    ...esbuildOnly,
    external: [...(settings.external ?? []), ...(exclude.includes('*') ? [] : exclude)],
    plugins: serverlessEsbuildPlugins(settings),
    entryPoints: [entry],
    outfile,
    logLevel: 'warning',
    ...overrides,
  };
}

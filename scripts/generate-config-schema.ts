/**
 * Writes schema/pushgate.schema.json from the zod schema of pushgate.yml. Run after changing
 * functions/lib/config/config-schema.ts: `npx tsx scripts/generate-config-schema.ts`; a test fails
 * while the committed file is stale.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { configJsonSchema } from '../functions/lib/config/config-json-schema.ts';

export const SCHEMA_FILE = fileURLToPath(new URL('../schema/pushgate.schema.json', import.meta.url));

/** The file's text, formatted as `prettier --check` expects it. */
export async function renderConfigSchema(): Promise<string> {
  const options = (await resolveConfig(SCHEMA_FILE)) ?? {};
  return format(JSON.stringify(configJsonSchema(), null, 2), { ...options, filepath: SCHEMA_FILE });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeFile(SCHEMA_FILE, await renderConfigSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
}

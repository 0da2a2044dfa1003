import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderConfigSchema, SCHEMA_FILE } from '../../../scripts/generate-config-schema.ts';

describe('schema/pushgate.schema.json', () => {
  it('is what scripts/generate-config-schema.ts generates now (run it after changing the zod schema)', async () => {
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(await renderConfigSchema());
  });

  it('describes the file users write: strict keys, the engines, defaults optional', async () => {
    const schema = JSON.parse(await readFile(SCHEMA_FILE, 'utf8'));
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.required).toEqual(['version', 'environments', 'projects']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.projects.items.properties.engine.enum).toEqual([
      'terraform',
      'opentofu',
      'cloudformation',
      'command',
    ]);
    expect(schema.properties.projects.items.required).toEqual(['name', 'dir', 'engine', 'environments']);
  });
});

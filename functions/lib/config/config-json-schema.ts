import * as z from 'zod';
import { PushgateConfig } from './config-schema.ts';

/**
 * The JSON Schema of `pushgate.yml` for editors (e.g. `# yaml-language-server: $schema=…`). It
 * describes the input a user writes (`io: 'input'`): defaults are optional, cross-field rules are
 * left to pushgate itself. Draft 7 because it is what YAML editors support most widely.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(PushgateConfig, { io: 'input', target: 'draft-7' }),
    title: 'pushgate.yml',
  };
}

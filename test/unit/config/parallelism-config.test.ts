import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/lib/config/parse-config.ts';

const base = `version: 1
environments:
  staging: { branch: main }
projects:
  - { name: net, dir: infra/net, engine: terraform, environments: [staging] }
`;

describe('parallelism in pushgate.yml', () => {
  it('is optional: without it the platform policy decides', () => {
    const result = parseConfig(base);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.parallelism).toBeUndefined();
  });

  it('takes a positive whole number of builds', () => {
    const result = parseConfig(`${base}parallelism: 4\n`);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.parallelism).toBe(4);
  });

  it.each(['0', '-2', '2.5', 'many'])('refuses parallelism: %s, naming its line', (value) => {
    const result = parseConfig(`${base}parallelism: ${value}\n`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([expect.objectContaining({ path: 'parallelism', line: 6 })]);
  });
});

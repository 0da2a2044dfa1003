import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../../functions/lib/config/config-json-schema.ts';
import { driftIntervalMinutes } from '../../../functions/lib/config/drift-schedule.ts';
import { parseConfig } from '../../../functions/lib/config/parse-config.ts';

const config = (drift: string) =>
  [
    'version: 1',
    'environments:',
    '  staging:',
    '    branch: main',
    '  prod:',
    '    branch: main',
    drift,
    'projects:',
    '  - name: network',
    '    dir: infra',
    '    engine: terraform',
    '    environments: [staging, prod]',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');

function parsed(drift: string) {
  const result = parseConfig(config(drift));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

function problems(drift: string) {
  const result = parseConfig(config(drift));
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('drift in pushgate.yml', () => {
  it('defaults every environment to a check every 6 hours that only tells', () => {
    const { environments } = parsed('');
    expect(environments.staging?.drift).toEqual({ schedule: { everyMinutes: 360 }, remediate: false, issue: false });
    expect(environments.prod?.drift).toEqual({ schedule: { everyMinutes: 360 }, remediate: false, issue: false });
  });

  it.each([
    ['rate(5 minutes)', 5],
    ['rate(1 minute)', undefined],
    ['rate(1 hour)', 60],
    ['rate(12 hours)', 720],
    ['rate(1 day)', 1440],
    ['rate(7 days)', 10080],
  ])('reads %s', (schedule, minutes) => {
    if (minutes === undefined) {
      expect(problems(`    drift: { schedule: "${schedule}" }`)[0]).toMatchObject({
        path: 'environments.prod.drift.schedule',
        message: 'a drift check runs at most every 5 minutes',
        line: 7,
      });
      return;
    }
    const drift = parsed(`    drift: { schedule: "${schedule}", remediate: true }`).environments.prod?.drift;
    expect(drift).toEqual({ schedule: { everyMinutes: minutes }, remediate: true, issue: false });
    expect(driftIntervalMinutes(drift!.schedule)).toBe(minutes);
  });

  it('reads issue: true (a GitHub issue per new drift); anything but a boolean is refused', () => {
    expect(parsed('    drift: { issue: true }').environments.prod?.drift).toEqual({
      schedule: { everyMinutes: 360 },
      remediate: false,
      issue: true,
    });
    expect(problems('    drift: { issue: sometimes }')[0]).toMatchObject({ path: 'environments.prod.drift.issue' });
  });

  it('reads off (quoted or not): no scheduled checks', () => {
    for (const text of ['    drift: { schedule: off }', '    drift:\n      schedule: "off"']) {
      const drift = parsed(text).environments.prod?.drift;
      expect(drift?.schedule).toBe('off');
      expect(driftIntervalMinutes(drift!.schedule)).toBeUndefined();
    }
  });

  it('reports wrong values at their line, with what is expected', () => {
    const found = problems(
      ['    drift:', '      schedule: every 6 hours', '      remediate: yes please', '      often: true'].join('\n'),
    );
    expect(found).toEqual([
      {
        path: 'environments.prod.drift.schedule',
        message: 'expected rate(<n> minutes|hours|days) or off, e.g. rate(6 hours); got "every 6 hours"',
        line: 8,
      },
      { path: 'environments.prod.drift.remediate', message: 'expected boolean, got string "yes please"', line: 9 },
      { path: 'environments.prod.drift.often', message: 'unknown key', line: 10 },
    ]);
    expect(problems('    drift: { schedule: "rate(0 hours)" }')[0]?.message).toMatch(/at most every 5 minutes/);
    expect(problems('    drift: { schedule: "rate(2 weeks)" }')[0]?.message).toMatch(/expected rate/);
    expect(problems('    drift: { schedule: 6 }')[0]?.message).toMatch(/expected rate/);
  });

  it('is in the JSON schema for editors, with its defaults and pattern', () => {
    const schema = JSON.stringify(configJsonSchema());
    expect(schema).toContain('"drift"');
    expect(schema).toContain('"default":"rate(6 hours)"');
    const pattern = new RegExp(
      (
        (configJsonSchema() as { definitions?: unknown; properties: Record<string, unknown> }).properties
          .environments as {
          additionalProperties: { properties: { drift: { properties: { schedule: { pattern: string } } } } };
        }
      ).additionalProperties.properties.drift.properties.schedule.pattern,
    );
    expect(pattern.test('rate(6 hours)')).toBe(true);
    expect(pattern.test('off')).toBe(true);
    expect(pattern.test('rate(0 hours)')).toBe(false);
  });
});

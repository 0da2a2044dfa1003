import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PlanFormatError } from '../../../functions/lib/plan/errors.ts';
import { formatSummary } from '../../../functions/lib/plan/format-summary.ts';
import { parsePlanJson } from '../../../functions/lib/plan/parse-plan-json.ts';
import { summarizePlan } from '../../../functions/lib/plan/summarize-plan.ts';
import type { PlanSummary } from '../../../functions/lib/store/types.ts';

/** Real `terraform show -json` outputs from hashicorp/terraform-json (MPL-2.0; see the folder's README). */
const TERRAFORM_PLANS = fileURLToPath(new URL('../../fixtures/terraform-plans/', import.meta.url));
const OWN_PLANS = fileURLToPath(new URL('../../fixtures/plans/', import.meta.url));

const readJson = (path: string): unknown => parsePlanJson(readFileSync(path, 'utf8'));
const terraformPlan = (name: string) => readJson(`${TERRAFORM_PLANS}${name}`);
const ownPlan = (name: string) => readJson(`${OWN_PLANS}${name}`);

const OUTPUTS = ['foo', 'interpolated', 'interpolated_deep', 'list', 'map', 'referenced', 'referenced_deep', 'string'];
const none = { add: 0, change: 0, destroy: 0, replace: 0 };

describe('summarizePlan: the Terraform plans in test/fixtures/terraform-plans, counted as Terraform prints them', () => {
  it.each<[string, PlanSummary, string]>([
    [
      // Terraform 0.12.11. Seven managed `create`s; `data.null_data_source.baz` is a data source `read`,
      // which Terraform does not count. The 0.12 CLI never showed outputs, and its plan JSON recorded
      // every output as `create` whatever its prior value (hashicorp/terraform#24628), so no outputs.
      // Terraform printed "Plan: 7 to add, 0 to change, 0 to destroy."
      'basic.json',
      { ...none, add: 7, outputChanges: [], hasChanges: true },
      'Plan: 7 to add, 0 to change, 0 to destroy.',
    ],
    [
      // Terraform 1.1.0-dev: the same seven `create`s, no data source; eight root outputs, all `create`
      // (format 0.2 records output changes faithfully): "Changes to Outputs:" lists them, sorted.
      '110_sensitive_values.json',
      { ...none, add: 7, outputChanges: OUTPUTS, hasChanges: true },
      `Plan: 7 to add, 0 to change, 0 to destroy. Changes to Outputs: ${OUTPUTS.join(', ')}`,
    ],
    [
      // Terraform 1.2.0-rc1 (format 1.1): seven `create`s and eight new outputs, as above.
      '120_basic.json',
      { ...none, add: 7, outputChanges: OUTPUTS, hasChanges: true },
      `Plan: 7 to add, 0 to change, 0 to destroy. Changes to Outputs: ${OUTPUTS.join(', ')}`,
    ],
    [
      // Terraform 0.12.11: all six resources `no-op`. Its outputs say `create` with `before: null`,
      // but each `after` equals the value already in prior_state: the 0.12 recording bug again, and
      // 0.12 printed "No changes. Infrastructure is up-to-date." for exactly this plan.
      'no_changes.json',
      { ...none, outputChanges: [], hasChanges: false },
      'No changes. Your infrastructure matches the configuration.',
    ],
    [
      // The same plan as no_changes.json: the two files differ only in prior_state's resource ids
      // and the order of null_resource.baz's instances. Same plan, same words.
      'has_changes.json',
      { ...none, outputChanges: [], hasChanges: false },
      'No changes. Your infrastructure matches the configuration.',
    ],
    [
      // Terraform 1.13.0-dev (format 1.2): one `update` that also imports (`change.importing`);
      // Terraform prints the import count first: "Plan: 1 to import, 0 to add, 1 to change, 0 to destroy."
      'identity.json',
      { ...none, change: 1, import: 1, outputChanges: [], hasChanges: true },
      'Plan: 1 to import, 0 to add, 1 to change, 0 to destroy.',
    ],
  ])('%s', (name, expected, words) => {
    const summary = summarizePlan(terraformPlan(name));
    expect(summary).toEqual(expected);
    expect(formatSummary(summary)).toBe(words);
  });

  it('invalid.json (not JSON) is a PlanFormatError', () => {
    const read = () => terraformPlan('invalid.json');
    expect(read).toThrow(PlanFormatError);
    expect(read).toThrow(/^not valid JSON \(error at position \d+\)$/);
  });

  it('110_sensitive_values.json: no sensitive value reaches the summary, its words or its JSON', () => {
    const plan = terraformPlan('110_sensitive_values.json');
    const secrets = sensitiveValues(plan);
    // The fixture's sensitive output `foo` is "bar"; the test means nothing if none were found.
    expect(secrets).toContain('bar');
    const summary = summarizePlan(plan);
    for (const shown of [formatSummary(summary), JSON.stringify(summary), JSON.stringify(summary, null, 2)]) {
      for (const secret of secrets) expect(shown).not.toContain(secret);
    }
  });
});

describe('summarizePlan: Terraform actions', () => {
  const plan = (resourceChanges: object[], extra: object = {}) => ({
    format_version: '1.2',
    terraform_version: '1.9.5',
    resource_changes: resourceChanges,
    ...extra,
  });
  const resource = (address: string, actions: string[], extra: object = {}) => ({
    address,
    mode: 'managed',
    type: 'null_resource',
    name: address.split('.')[1],
    change: { actions, before: { secret: 's3cr3t' }, after: { secret: 's3cr3t' } },
    ...extra,
  });

  it('counts a replacement either way round as one add, one destroy and one replace', () => {
    const summary = summarizePlan(
      plan([
        resource('null_resource.a', ['delete', 'create']),
        resource('null_resource.b', ['create', 'delete']),
        resource('null_resource.c', ['create']),
        resource('null_resource.d', ['update']),
        resource('null_resource.e', ['delete']),
      ]),
    );
    expect(summary).toEqual({ add: 3, change: 1, destroy: 3, replace: 2, outputChanges: [], hasChanges: true });
    expect(formatSummary(summary)).toBe('Plan: 3 to add, 1 to change, 3 to destroy. (2 to replace)');
  });

  it('does not count data sources, but a read still makes the plan non-empty as in Terraform', () => {
    const read = { ...resource('data.http.a', ['read']), mode: 'data' };
    const deleted = { ...resource('data.http.b', ['delete']), mode: 'data' };
    expect(summarizePlan(plan([read]))).toEqual({ ...none, outputChanges: [], hasChanges: true });
    // Terraform skips a data source's delete altogether.
    expect(summarizePlan(plan([deleted]))).toEqual({ ...none, outputChanges: [], hasChanges: false });
    expect(formatSummary(summarizePlan(plan([read])))).toBe('Plan: 0 to add, 0 to change, 0 to destroy.');
  });

  it('counts a move or an import as a change of the plan, and no-op otherwise as nothing', () => {
    const moved = resource('null_resource.new', ['no-op'], { previous_address: 'null_resource.old' });
    const imported = resource('null_resource.i', ['no-op'], {});
    imported.change = { ...imported.change, importing: { id: 'i-123' } } as typeof imported.change;
    const unchanged = resource('null_resource.u', ['no-op'], { previous_address: 'null_resource.u' });
    expect(summarizePlan(plan([unchanged])).hasChanges).toBe(false);
    expect(summarizePlan(plan([moved]))).toEqual({ ...none, outputChanges: [], hasChanges: true });
    const summary = summarizePlan(plan([imported]));
    expect(summary).toEqual({ ...none, import: 1, outputChanges: [], hasChanges: true });
    expect(formatSummary(summary)).toBe('Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.');
  });

  it('counts forget (removed with destroy = false) apart, and create-then-forget as an add', () => {
    const summary = summarizePlan(
      plan([resource('null_resource.f', ['forget']), resource('null_resource.g', ['create', 'forget'])]),
    );
    expect(summary).toEqual({ ...none, add: 1, forget: 2, outputChanges: [], hasChanges: true });
    expect(formatSummary(summary)).toBe('Plan: 1 to add, 0 to change, 0 to destroy. (2 to forget)');
  });

  it('ignores OpenTofu ephemeral resources and no-op outputs', () => {
    const ephemeral = { ...resource('ephemeral.random_password.p', ['open']), mode: 'ephemeral' };
    const summary = summarizePlan(
      plan([ephemeral], {
        output_changes: {
          same: { actions: ['no-op'], before: 'x', after: 'x' },
          gone: { actions: ['delete'], before: 'y', after: null },
        },
      }),
    );
    expect(summary).toEqual({ ...none, outputChanges: ['gone'], hasChanges: true });
    expect(formatSummary(summary)).toBe('Changes to Outputs: gone');
  });

  it('refuses an action it does not know rather than guess', () => {
    expect(() => summarizePlan(plan([resource('null_resource.x', ['obliterate'])]))).toThrow(
      new PlanFormatError('null_resource.x has the action [obliterate], which pushgate does not know'),
    );
  });

  it('refuses a plan Terraform marked as errored', () => {
    expect(() => summarizePlan(plan([], { errored: true }))).toThrow(PlanFormatError);
  });

  it('says which field is wrong, without quoting values', () => {
    const broken = plan([{ address: 'null_resource.a', change: { actions: 's3cr3t' } }]);
    expect(() => summarizePlan(broken)).toThrow(
      /^not a valid Terraform JSON plan: resource_changes\.0\.change\.actions: /,
    );
    expect(() => summarizePlan(broken)).not.toThrow(/s3cr3t/);
  });

  it('reads a plan with nothing to do, which Terraform writes without resource_changes', () => {
    const empty = {
      format_version: '1.2',
      terraform_version: '1.9.5',
      planned_values: { root_module: {} },
      applyable: false,
    };
    expect(summarizePlan(empty)).toEqual({ ...none, outputChanges: [], hasChanges: false });
  });
});

describe('summarizePlan: CloudFormation change sets', () => {
  it('counts Add, Modify (replacement or not), Remove (deleted or retained) and Dynamic', () => {
    // Add JobQueue → add; Modify ArtifactBucket (Replacement False) → change; Modify OrdersTable
    // (Replacement True) → replace: one add and one destroy; Modify ApiFunction (Conditional) →
    // change; Remove LegacyTopic → destroy; Remove AuditLogGroup (PolicyAction Retain) → forget;
    // Dynamic NetworkStack → change.
    const summary = summarizePlan(ownPlan('cloudformation-change-set.json'));
    expect(summary).toEqual({
      add: 2,
      change: 3,
      destroy: 2,
      replace: 1,
      forget: 1,
      outputChanges: [],
      hasChanges: true,
    });
    expect(formatSummary(summary)).toBe('Plan: 2 to add, 3 to change, 2 to destroy. (1 to replace, 1 to forget)');
  });

  it('counts Import', () => {
    const summary = summarizePlan(ownPlan('cloudformation-import.json'));
    expect(summary).toEqual({ ...none, import: 2, outputChanges: [], hasChanges: true });
    expect(formatSummary(summary)).toBe('Plan: 2 to import, 0 to add, 0 to change, 0 to destroy.');
  });

  it('reads the FAILED "didn\'t contain changes" change set as no changes', () => {
    expect(summarizePlan(ownPlan('cloudformation-no-changes.json'))).toEqual({
      ...none,
      outputChanges: [],
      hasChanges: false,
    });
  });

  it('refuses a change set that failed for another reason, or is not complete', () => {
    expect(() =>
      summarizePlan({ Changes: [], Status: 'FAILED', StatusReason: 'Template format error: unsupported structure.' }),
    ).toThrow(new PlanFormatError('the change set FAILED: Template format error: unsupported structure.'));
    expect(() => summarizePlan({ Changes: [], Status: 'CREATE_IN_PROGRESS' })).toThrow(
      /CREATE_IN_PROGRESS, not CREATE_COMPLETE/,
    );
  });

  it('refuses an action CloudFormation does not have', () => {
    const changeSet = {
      Changes: [{ Type: 'Resource', ResourceChange: { Action: 'Explode', LogicalResourceId: 'X' } }],
    };
    expect(() => summarizePlan(changeSet)).toThrow(
      /^not a valid CloudFormation change set: Changes\.0\.ResourceChange\.Action: /,
    );
  });
});

describe('summarizePlan: pushgate-plan/1', () => {
  it('counts a replace as one add and one destroy, and lists outputs sorted', () => {
    const summary = summarizePlan(ownPlan('pushgate-plan.json'));
    expect(summary).toEqual({
      add: 3,
      change: 1,
      destroy: 2,
      replace: 1,
      outputChanges: ['name_servers', 'zone_id'],
      hasChanges: true,
    });
    expect(formatSummary(summary)).toBe(
      'Plan: 3 to add, 1 to change, 2 to destroy. (1 to replace) Changes to Outputs: name_servers, zone_id',
    );
  });

  it('an outputs-only plan has changes; an empty one has none', () => {
    const outputsOnly = summarizePlan(ownPlan('pushgate-plan-outputs-only.json'));
    expect(outputsOnly).toEqual({ ...none, outputChanges: ['endpoint'], hasChanges: true });
    expect(formatSummary(outputsOnly)).toBe('Changes to Outputs: endpoint');
    expect(summarizePlan(ownPlan('pushgate-plan-empty.json')).hasChanges).toBe(false);
  });

  it('refuses another version and a bad action', () => {
    expect(() => summarizePlan({ format: 'pushgate-plan/2', changes: [] })).toThrow(
      new PlanFormatError('pushgate-plan/2 is not supported; this pushgate reads pushgate-plan/1'),
    );
    expect(() => summarizePlan({ format: 'pushgate-plan/1', changes: [{ action: 'nuke', address: 'a' }] })).toThrow(
      /^not a valid pushgate-plan\/1 document: changes\.0\.action: /,
    );
  });
});

describe('summarizePlan: not a plan', () => {
  it.each<[string, unknown, RegExp]>([
    ['an array', [], /^expected a JSON object, found an array$/],
    ['null', null, /^expected a JSON object, found null$/],
    ['a string', 'plan', /^expected a JSON object, found string$/],
    ['an unrelated object', { hello: 'world' }, /^not a Terraform\/OpenTofu JSON plan/],
    ['Terraform state', ownPlan('terraform-state.json'), /^this is Terraform state/],
  ])('%s is a PlanFormatError', (_name, document, message) => {
    expect(() => summarizePlan(document)).toThrow(PlanFormatError);
    expect(() => summarizePlan(document)).toThrow(message);
  });
});

/**
 * Every value the plan marks sensitive: for each `X_sensitive` marker (before/after in a change,
 * `sensitive_values` beside `values`) the leaves of `X` where the marker is `true`, and the `value`
 * of each output marked `sensitive: true`.
 */
function sensitiveValues(document: unknown): string[] {
  const found = new Set<string>();
  const collectLeaves = (value: unknown) => {
    if (value === null || value === undefined) return;
    if (typeof value === 'object') {
      for (const child of Object.values(value)) collectLeaves(child);
      return;
    }
    found.add(String(value));
  };
  const collectMarked = (value: unknown, marker: unknown) => {
    if (marker === true) return collectLeaves(value);
    if (typeof marker !== 'object' || marker === null || typeof value !== 'object' || value === null) return;
    for (const [key, childMarker] of Object.entries(marker))
      collectMarked((value as Record<string, unknown>)[key], childMarker);
  };
  const walk = (node: unknown) => {
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    for (const [key, marker] of Object.entries(record)) {
      if (key.endsWith('_sensitive')) collectMarked(record[key.slice(0, -'_sensitive'.length)], marker);
    }
    if ('sensitive_values' in record) collectMarked(record.values, record.sensitive_values);
    if (record.sensitive === true && 'value' in record) collectLeaves(record.value);
    for (const child of Object.values(record)) walk(child);
  };
  walk(document);
  return [...found];
}

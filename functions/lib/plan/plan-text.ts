import { createHash } from 'node:crypto';
import * as z from 'zod';

/**
 * The plan as a person reads it (`plan.txt`): Terraform's and OpenTofu's `show -no-color`, a command
 * engine's plan output, or for CloudFormation the change set rendered by renderChangeSetText. It is
 * informational: what is applied is plan.bin, whose sha256 was reviewed.
 */

/** CSI and OSC escape sequences (colours, cursor moves, hyperlinks) and other C0 controls but tab and newline. */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** Text without terminal escapes, with `\n` line ends. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '').replace(/\r\n?/g, '\n').replace(CONTROLS, '');
}

/** At most `maxChars` characters, cut at a line end when one is near, with how much was left out. */
export function cutText(text: string, maxChars: number): { text: string; cut: boolean; omittedChars: number } {
  if (text.length <= maxChars) return { text, cut: false, omittedChars: 0 };
  let end = Math.max(0, maxChars);
  const newline = text.lastIndexOf('\n', end);
  if (newline > end * 0.8) end = newline;
  // Never split a surrogate pair.
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1] ?? '')) end -= 1;
  return { text: text.slice(0, end), cut: true, omittedChars: text.length - end };
}

/** Reads an object's bytes; undefined when there is no such object. */
export type GetObjectBytes = (key: string) => Promise<Uint8Array | undefined>;

export interface PlanText {
  text: string;
  /** The stored text was longer than `maxBytes`: `text` is its beginning. */
  truncated: boolean;
}

/**
 * Reads `key` (a target's `<prefix>/plan.txt`) as text without ANSI escapes, at most `maxBytes`
 * of it. Undefined when there is none, or when `expectedSha256` (the build's exported
 * PUSHGATE_PLAN_TXT_SHA256) is given and the object is not what the build uploaded. Never throws
 * for a missing object; a read failure is the caller's to catch (the text is informational).
 */
export async function readPlanText(
  getObject: GetObjectBytes,
  key: string,
  maxBytes: number,
  options: { expectedSha256?: string } = {},
): Promise<PlanText | undefined> {
  const bytes = await getObject(key);
  if (!bytes) return undefined;
  if (options.expectedSha256 !== undefined) {
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== options.expectedSha256.toLowerCase()) return undefined;
  }
  const truncated = bytes.byteLength > maxBytes;
  // A cut inside a multi-byte character decodes to U+FFFD at the end: dropped.
  let text = new TextDecoder().decode(truncated ? bytes.subarray(0, maxBytes) : bytes);
  if (truncated) text = text.replace(/\uFFFD$/, '');
  return { text: stripAnsi(text), truncated };
}

const ChangeSetForText = z.object({
  Status: z.string().optional(),
  StatusReason: z.string().optional(),
  Changes: z.array(
    z.object({
      Type: z.string().optional(),
      ResourceChange: z
        .object({
          Action: z.string(),
          LogicalResourceId: z.string(),
          PhysicalResourceId: z.string().optional(),
          ResourceType: z.string().optional(),
          Replacement: z.string().optional(),
          PolicyAction: z.string().optional(),
          Scope: z.array(z.string()).optional(),
        })
        .optional(),
    }),
  ),
});

/**
 * A CloudFormation change set (`describe-change-set` output, plan.json) as text, one line per
 * resource: `Add AWS::S3::Bucket Bucket`, `Modify AWS::Lambda::Function Handler (Replacement: True)`.
 * CloudFormation has no text form of its own. Names and types only: parameter values are never
 * part of it. Undefined when the document is not a change set.
 */
export function renderChangeSetText(document: unknown): string | undefined {
  const parsed = ChangeSetForText.safeParse(document);
  if (!parsed.success) return undefined;
  const { Changes, Status, StatusReason } = parsed.data;
  const lines: string[] = [];
  for (const entry of Changes) {
    const change = entry.ResourceChange;
    if (!change) continue;
    const extras = [
      ...(change.Action === 'Modify' && change.Replacement !== undefined ? [`Replacement: ${change.Replacement}`] : []),
      ...(change.Scope && change.Scope.length > 0 ? [`Scope: ${change.Scope.join(', ')}`] : []),
      ...(change.PolicyAction ? [`PolicyAction: ${change.PolicyAction}`] : []),
    ];
    const physical =
      change.PhysicalResourceId && change.PhysicalResourceId !== change.LogicalResourceId
        ? ` [${change.PhysicalResourceId}]`
        : '';
    lines.push(
      [change.Action, change.ResourceType ?? '(unknown type)', `${change.LogicalResourceId}${physical}`]
        .join(' ')
        .concat(extras.length > 0 ? ` (${extras.join('; ')})` : ''),
    );
  }
  if (lines.length === 0) {
    return Status === 'FAILED' && StatusReason ? `No changes: ${StatusReason}` : 'No changes.';
  }
  return lines.join('\n');
}

/**
 * The text to show for a target: plan.txt when the build uploaded one, else the change set rendered
 * from plan.json (CloudFormation). Undefined when neither gives one.
 */
export function planTextOf(artifacts: { planText?: string; planJson?: string }): string | undefined {
  if (artifacts.planText !== undefined && artifacts.planText.trim() !== '') return stripAnsi(artifacts.planText);
  if (artifacts.planJson === undefined) return undefined;
  try {
    return renderChangeSetText(JSON.parse(artifacts.planJson));
  } catch {
    return undefined;
  }
}

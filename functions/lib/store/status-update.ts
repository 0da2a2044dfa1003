import { allowedPredecessors, isFinal } from '../status.ts';
import type { Status } from '../status.ts';

export interface StatusUpdate {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/**
 * The UpdateItem parts that move a run or target to `to`: the condition lists the statuses `to` may
 * follow (functions/lib/status.ts), so DynamoDB itself rejects an out-of-order write, however many
 * Lambdas race. `finishedAt` is stamped on final statuses only (a plan-only run ending `planned` has
 * none). Undefined when no status may precede `to` (`queued`): that change is never allowed.
 */
export function statusUpdate(to: Status, fields: Record<string, unknown>, now: string): StatusUpdate | undefined {
  const from = allowedPredecessors(to);
  if (from.length === 0) return undefined;
  const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ':to': to, ':now': now };
  const sets = ['#status = :to', '#updatedAt = :now'];
  if (isFinal(to)) {
    names['#finishedAt'] = 'finishedAt';
    sets.push('#finishedAt = :now');
  }
  Object.entries(fields).forEach(([field, value], index) => {
    if (value === undefined) return;
    names[`#f${index}`] = field;
    values[`:f${index}`] = value;
    sets.push(`#f${index} = :f${index}`);
  });
  from.forEach((status, index) => {
    values[`:from${index}`] = status;
  });
  return {
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: `attribute_exists(pk) AND #status IN (${from.map((_, index) => `:from${index}`).join(', ')})`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

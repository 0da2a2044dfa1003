import type { AwsClient } from '../runtime/aws-fetch/create-aws-client.ts';
import { dynamoItemOps } from '../runtime/aws-fetch/dynamo-item-ops.ts';
import { deliveryWrites } from '../store/delivery-writes.ts';
import { runWrites } from '../store/run-writes.ts';
import type { IntakeStore } from './intake.ts';

/**
 * The intake's writes (accept and forget a delivery, create a run, change its status) over the light
 * AWS client, without the AWS SDK: the same code as the full store's (store/delivery-writes.ts,
 * store/run-writes.ts), so the items, conditions and TTLs are the same
 * (test/integration/webhook/intake-store-contract.test.ts runs both).
 */
export function createIntakeStore(options: { tableName: string; client: AwsClient; clock?: () => Date }): IntakeStore {
  const ops = dynamoItemOps(options.client, options.tableName);
  const clock = options.clock ?? (() => new Date());
  return { ...deliveryWrites(ops, clock), ...runWrites(ops, clock) };
}

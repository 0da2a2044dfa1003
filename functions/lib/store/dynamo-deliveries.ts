import { deliveryWrites } from './delivery-writes.ts';
import { documentOps, type DynamoTable } from './dynamo-table.ts';
import type { DeliveryStore } from './types.ts';

/** Webhook deliveries (access pattern 1), over the document client: delivery-writes.ts. */
export function createDynamoDeliveries(table: DynamoTable): DeliveryStore {
  return deliveryWrites(documentOps(table), table.clock);
}

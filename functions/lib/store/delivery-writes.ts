import { epochSeconds } from './epoch-seconds.ts';
import { StoreError } from './errors.ts';
import type { ItemOps } from './item-ops.ts';
import { MAX_ATTEMPTS } from './item-writes.ts';
import { deliveryKey } from './keys.ts';
import { isConditionalCheckFailed, storeCall } from './store-call.ts';
import type { DeliveryStore } from './types.ts';

/** GitHub redelivers for at most a few days; a week covers manual redeliveries from the settings page. */
const DELIVERY_TTL_SECONDS = 7 * 24 * 60 * 60;

/**
 * Webhook deliveries (access pattern 1): one item per delivery id, accepted by a conditional put.
 * Over ItemOps, so the full store and the webhook's light one write the same items.
 */
export function deliveryWrites(ops: ItemOps, clock: () => Date): DeliveryStore {
  return {
    acceptDelivery(deliveryId, runId, now) {
      return storeCall(`acceptDelivery ${deliveryId}`, async () => {
        const at = now ?? clock();
        const nowEpoch = epochSeconds(at);
        const Key = deliveryKey(deliveryId);
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          try {
            await ops.put({
              Item: {
                ...Key,
                entity: 'delivery',
                deliveryId,
                runId,
                acceptedAt: at.toISOString(),
                expiresAt: nowEpoch + DELIVERY_TTL_SECONDS,
              },
              // TTL deletion lags, so an expired record still in the table counts as gone.
              ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
              ExpressionAttributeValues: { ':now': nowEpoch },
            });
            return { accepted: true };
          } catch (error) {
            if (!isConditionalCheckFailed(error)) throw error;
          }
          const existing = await ops.get(Key);
          // Our own put, retried after its answer was lost (a timeout): it is ours, not a duplicate.
          if (existing !== undefined && String(existing.runId) === runId) return { accepted: true };
          if (existing !== undefined) return { accepted: false, runId: String(existing.runId) };
          // Forgotten between our put and our read: the delivery is free again, so try again.
        }
        throw new StoreError(`delivery ${deliveryId} kept changing while it was accepted`);
      });
    },

    forgetDelivery(deliveryId, runId) {
      return storeCall(`forgetDelivery ${deliveryId}`, async () => {
        try {
          await ops.delete({
            Key: deliveryKey(deliveryId),
            // Only the run that accepted it may give it back, never a later acceptance.
            ConditionExpression: 'runId = :runId',
            ExpressionAttributeValues: { ':runId': runId },
          });
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
        }
      });
    },
  };
}

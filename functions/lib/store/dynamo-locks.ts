import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoTable } from './dynamo-table.ts';
import { epochSeconds } from './epoch-seconds.ts';
import { StoreError } from './errors.ts';
import {
  GSI1,
  heldLocksIndexPk,
  lockIndexKeys,
  lockKey,
  lockPk,
  TICKET_SK_PREFIX,
  ticketKey,
  UNLOCK_SK_PREFIX,
  unlockKey,
} from './keys.ts';
import { itemRecord } from './item-record.ts';
import { queryAll, queryItems } from './query-items.ts';
import { isConditionalCheckFailed, storeCall } from './store-call.ts';
import type {
  AcquireLockOptions,
  AcquireLockResult,
  ForceUnlockResult,
  HeldLockRecord,
  LockRecord,
  LockStore,
  TargetKey,
  UnlockRecord,
} from './types.ts';

const DAY_SECONDS = 24 * 60 * 60;
const DEFAULT_WAITER_TTL_SECONDS = 300;

interface LockItem {
  repo: string;
  project: string;
  environment: string;
  owner: string;
  acquiredAt: string;
  leaseExpiresAt: string;
  /** The holder's queue position, so that in supersede mode a newer holder supersedes older waiters. */
  position?: string;
}

/**
 * What a released lock leaves behind: the newest position that ever held it. A run older than that
 * arriving later (its Validate was slower than a newer run's whole deploy) must not apply an older
 * commit over a newer one, in either mode: it is told it was superseded.
 */
interface ReleasedLockItem {
  lastPosition?: string;
  lastOwner?: string;
  owner?: undefined;
}

function isHeld(item: LockItem | ReleasedLockItem | undefined): item is LockItem {
  return item !== undefined && typeof item.owner === 'string';
}

interface TicketItem {
  pk: string;
  sk: string;
  owner: string;
  position: string;
  seenAt: string;
}

function lockRecord(item: LockItem, nowIso: string): LockRecord {
  return {
    repo: item.repo,
    project: item.project,
    environment: item.environment,
    owner: item.owner,
    acquiredAt: item.acquiredAt,
    leaseExpiresAt: item.leaseExpiresAt,
    // Same test as the takeover condition, so `expired: true` means "acquireLock would take it over".
    expired: item.leaseExpiresAt < nowIso,
  };
}

/**
 * Locks on repo + project + environment (access pattern 6), one item per lock plus one queue ticket
 * per waiter in the same partition (see keys.ts). Mutual exclusion rests on one conditional put of
 * the lock item; the tickets only decide who may try, so that in `queue` mode the oldest run goes
 * first and in `supersede` mode older runs learn that a newer one is waiting. No transactions: each
 * step is a single-item write that is safe to repeat, and a crashed waiter's ticket stops counting
 * once it has not been refreshed for `waiterTtlSeconds`, so a waiter must poll more often than that.
 */
export function createDynamoLocks(table: DynamoTable): LockStore {
  const { client, tableName: TableName, clock } = table;

  async function readLockItem(key: TargetKey): Promise<LockItem | ReleasedLockItem | undefined> {
    const { Item } = await client.send(new GetCommand({ TableName, Key: lockKey(key), ConsistentRead: true }));
    return Item as LockItem | ReleasedLockItem | undefined;
  }

  async function readLock(key: TargetKey): Promise<LockItem | undefined> {
    const item = await readLockItem(key);
    return isHeld(item) ? item : undefined;
  }

  async function deleteTickets(key: TargetKey, owner: string): Promise<void> {
    const tickets = (await queryAll(client, {
      TableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':pk': lockPk(key), ':prefix': TICKET_SK_PREFIX, ':owner': owner },
      ConsistentRead: true,
    })) as unknown as TicketItem[];
    await Promise.all(
      tickets.map((ticket) => client.send(new DeleteCommand({ TableName, Key: { pk: ticket.pk, sk: ticket.sk } }))),
    );
  }

  /** Best effort: a ticket refreshed since we read it (same seenAt condition) is alive and stays. */
  async function dropDeadTicket(ticket: TicketItem): Promise<void> {
    try {
      await client.send(
        new DeleteCommand({
          TableName,
          Key: { pk: ticket.pk, sk: ticket.sk },
          ConditionExpression: 'seenAt = :seenAt',
          ExpressionAttributeValues: { ':seenAt': ticket.seenAt },
        }),
      );
    } catch {
      // Dead tickets are already ignored by every reader; TTL removes any that stay.
    }
  }

  async function acquireLock(
    key: TargetKey,
    owner: string,
    options: AcquireLockOptions,
    now?: Date,
  ): Promise<AcquireLockResult> {
    return storeCall(`acquireLock ${lockPk(key)}`, async () => {
      const at = now ?? clock();
      const nowIso = at.toISOString();
      const waiterTtlSeconds = options.waiterTtlSeconds ?? DEFAULT_WAITER_TTL_SECONDS;
      if (!(options.leaseSeconds > 0) || !(waiterTtlSeconds > 0)) {
        throw new StoreError('leaseSeconds and waiterTtlSeconds must be positive');
      }
      const ownTicket = ticketKey(key, options.position, owner);

      // a. Take (or keep) a place in the queue, before looking at anyone else's.
      await client.send(
        new PutCommand({
          TableName,
          Item: {
            ...ownTicket,
            entity: 'lock-ticket',
            owner,
            position: options.position,
            seenAt: nowIso,
            expiresAt: epochSeconds(at) + waiterTtlSeconds + DAY_SECONDS,
          },
        }),
      );

      // b. One consistent read of the partition: the lock and every ticket, in queue order.
      let lock: LockItem | undefined;
      let released: ReleasedLockItem | undefined;
      const live: TicketItem[] = [];
      const dead: TicketItem[] = [];
      const aliveSince = new Date(at.getTime() - waiterTtlSeconds * 1000).toISOString();
      for await (const item of queryItems(client, {
        TableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': ownTicket.pk },
        ConsistentRead: true,
      })) {
        if (item.sk === lockKey(key).sk) {
          const found = item as unknown as LockItem | ReleasedLockItem;
          if (isHeld(found)) lock = found;
          else released = found;
        } else if (typeof item.sk === 'string' && item.sk.startsWith(TICKET_SK_PREFIX)) {
          const ticket = item as unknown as TicketItem;
          (ticket.seenAt < aliveSince ? dead : live).push(ticket);
        }
      }
      await Promise.all(dead.map(dropDeadTicket));
      const others = live.filter((ticket) => ticket.owner !== owner);
      const ahead = options.mode === 'queue' ? others.filter((t) => t.position < options.position).length : 0;
      const holdsIt = lock !== undefined && lock.owner === owner && !(lock.leaseExpiresAt < nowIso);

      // c. A newer run already held this lock and let it go: applying now would roll it back.
      const newestEver = lock?.position ?? released?.lastPosition;
      if (newestEver !== undefined && newestEver > options.position && lock?.owner !== owner) {
        // Waiting would not help even in queue mode: the newer commit holds it or has been applied.
        await client.send(new DeleteCommand({ TableName, Key: ownTicket }));
        return { status: 'superseded', by: lock?.owner ?? released?.lastOwner ?? 'a newer run' };
      }

      // d. Let the queue decide who may try.
      // In supersede mode this holds for a holder renewing its lease too: between plan and apply, a
      // newer run waiting for the same target means this run's plan is stale and should not be applied.
      // A newer run holding the lock counts as well: it no longer has a ticket, and once it releases,
      // this older run must not apply after it.
      if (options.mode === 'supersede') {
        const newer: { owner: string; position: string }[] = others.filter((t) => t.position > options.position);
        if (lock?.position !== undefined && lock.owner !== owner && !(lock.leaseExpiresAt < nowIso)) {
          if (lock.position > options.position) newer.push({ owner: lock.owner, position: lock.position });
        }
        const newest = newer.sort((a, b) => (a.position < b.position ? 1 : -1))[0];
        if (newest !== undefined) {
          await client.send(new DeleteCommand({ TableName, Key: ownTicket }));
          return { status: 'superseded', by: newest.owner };
        }
      } else if (ahead > 0 && !holdsIt) {
        // A holder renewing its lease is never sent back to wait behind an older run that queued
        // after it acquired: the older run could not get in before this lease ends anyway.
        return { status: 'waiting', ...(lock ? { holder: lockRecord(lock, nowIso) } : {}), ahead };
      }

      // e. The conditional put is what makes the lock exclusive.
      const leaseEnd = new Date(at.getTime() + options.leaseSeconds * 1000);
      const item: LockItem = {
        repo: key.repo,
        project: key.project,
        environment: key.environment,
        owner,
        acquiredAt: holdsIt && lock ? lock.acquiredAt : nowIso,
        leaseExpiresAt: leaseEnd.toISOString(),
        position: options.position,
      };
      let previous: LockItem | undefined;
      try {
        const output = await client.send(
          new PutCommand({
            TableName,
            Item: {
              ...lockKey(key),
              ...lockIndexKeys(key),
              entity: 'lock',
              ...item,
              expiresAt: epochSeconds(leaseEnd) + DAY_SECONDS,
            },
            // The second half closes the gap between step c's read and this write: a newer run that
            // released meanwhile left its position behind, and an older run must not slip in after it.
            ConditionExpression:
              '(attribute_not_exists(pk) OR attribute_not_exists(#owner) OR leaseExpiresAt < :now OR #owner = :owner)' +
              ' AND (attribute_not_exists(lastPosition) OR lastPosition <= :position)',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':now': nowIso, ':owner': owner, ':position': options.position },
            // ReturnValuesOnConditionCheckFailure would name the holder without a read, but dynalite
            // lacks it; ALL_OLD on success tells us whose expired lease we took over.
            ReturnValues: 'ALL_OLD',
          }),
        );
        const old = output.Attributes as LockItem | ReleasedLockItem | undefined;
        previous = isHeld(old) ? old : undefined;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        const holder = await readLock(key);
        return { status: 'waiting', ...(holder ? { holder: lockRecord(holder, nowIso) } : {}), ahead };
      }
      await client.send(new DeleteCommand({ TableName, Key: ownTicket }));
      const tookOverFrom = previous !== undefined && previous.owner !== owner ? previous.owner : undefined;
      return {
        status: 'acquired',
        lock: lockRecord(item, nowIso),
        ...(tookOverFrom === undefined ? {} : { tookOverFrom }),
      };
    });
  }

  async function getLock(key: TargetKey, now?: Date): Promise<LockRecord | undefined> {
    return storeCall(`getLock ${lockPk(key)}`, async () => {
      const item = await readLock(key);
      return item && lockRecord(item, (now ?? clock()).toISOString());
    });
  }

  async function releaseLock(key: TargetKey, owner: string): Promise<boolean> {
    return storeCall(`releaseLock ${lockPk(key)}`, async () => {
      let released = true;
      try {
        // Not a delete: the item keeps the newest position that held it (see ReleasedLockItem).
        await client.send(
          new UpdateCommand({
            TableName,
            Key: lockKey(key),
            ConditionExpression: '#owner = :owner',
            UpdateExpression:
              // expiresAt goes too: TTL must not delete the high-water mark a day later.
              // gsi1pk/gsi1sk go too: the index of held locks (listLocks) holds held locks only.
              'SET lastOwner = :owner, lastPosition = if_not_exists(#position, :none) REMOVE #owner, acquiredAt, leaseExpiresAt, #position, expiresAt, gsi1pk, gsi1sk',
            ExpressionAttributeNames: { '#owner': 'owner', '#position': 'position' },
            ExpressionAttributeValues: { ':owner': owner, ':none': '' },
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        // Not ours (never was, or taken over after our lease ran out): someone else's lock stays.
        released = false;
      }
      await deleteTickets(key, owner);
      return released;
    });
  }

  async function leaveQueue(key: TargetKey, owner: string): Promise<void> {
    return storeCall(`leaveQueue ${lockPk(key)}`, () => deleteTickets(key, owner));
  }

  async function forceUnlock(
    key: TargetKey,
    who: { by: string; reason: string; owner?: string },
    now?: Date,
  ): Promise<ForceUnlockResult> {
    return storeCall(`forceUnlock ${lockPk(key)}`, async () => {
      const at = (now ?? clock()).toISOString();
      for (let attempt = 1; attempt <= 3; attempt++) {
        const held = await readLock(key);
        if (held === undefined) return { released: false };
        // Only the holder the caller checked (unlockTarget: not applying), never one that took over since.
        if (who.owner !== undefined && held.owner !== who.owner) return { released: false, heldBy: held.owner };
        try {
          // As releaseLock, but for the owner we just read rather than the caller: the newest position
          // stays, so an older run still cannot apply over what the unlocked run may have applied.
          await client.send(
            new UpdateCommand({
              TableName,
              Key: lockKey(key),
              ConditionExpression: '#owner = :owner',
              UpdateExpression:
                'SET lastOwner = :owner, lastPosition = if_not_exists(#position, :none), unlockedBy = :by, unlockedAt = :at, unlockReason = :reason' +
                ' REMOVE #owner, acquiredAt, leaseExpiresAt, #position, expiresAt, gsi1pk, gsi1sk',
              ExpressionAttributeNames: { '#owner': 'owner', '#position': 'position' },
              ExpressionAttributeValues: {
                ':owner': held.owner,
                ':none': '',
                ':by': who.by,
                ':at': at,
                ':reason': who.reason,
              },
            }),
          );
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
          continue; // Released or taken over meanwhile: look again.
        }
        const record: UnlockRecord = {
          repo: key.repo,
          project: key.project,
          environment: key.environment,
          owner: held.owner,
          by: who.by,
          reason: who.reason,
          at,
        };
        await client.send(
          new PutCommand({ TableName, Item: { ...unlockKey(key, at, who.by), entity: 'unlock', ...record } }),
        );
        return { released: true, owner: held.owner };
      }
      throw new StoreError(`the lock ${lockPk(key)} kept changing while it was unlocked`);
    });
  }

  async function listUnlocks(key: TargetKey): Promise<UnlockRecord[]> {
    return storeCall(`listUnlocks ${lockPk(key)}`, async () => {
      const items = await queryAll(client, {
        TableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': lockPk(key), ':prefix': UNLOCK_SK_PREFIX },
        ScanIndexForward: false,
      });
      return items.map((item) => itemRecord<UnlockRecord>(item));
    });
  }

  async function listLocks(repo: string, now?: Date): Promise<HeldLockRecord[]> {
    return storeCall(`listLocks ${repo}`, async () => {
      const at = now ?? clock();
      const nowIso = at.toISOString();
      // The index is eventually consistent: each lock found is read again, with its queue, consistently.
      const found = await queryAll(client, {
        TableName,
        IndexName: GSI1,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': heldLocksIndexPk(repo) },
      });
      const locks: HeldLockRecord[] = [];
      for (const entry of found) {
        const key = { repo, project: entry.project as string, environment: entry.environment as string };
        let lock: LockItem | undefined;
        const waiting: HeldLockRecord['waiting'] = [];
        for await (const item of queryItems(client, {
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': lockPk(key) },
          ConsistentRead: true,
        })) {
          if (item.sk === lockKey(key).sk) {
            const read = item as unknown as LockItem | ReleasedLockItem;
            if (isHeld(read)) lock = read;
          } else if (typeof item.sk === 'string' && item.sk.startsWith(TICKET_SK_PREFIX)) {
            const ticket = item as unknown as TicketItem & { expiresAt?: number };
            // A ticket's own TTL (seenAt + waiterTtl, plus the day kept for DynamoDB) says whether it still counts.
            const alive = ticket.expiresAt === undefined || ticket.expiresAt - DAY_SECONDS >= epochSeconds(at);
            if (alive) waiting.push({ owner: ticket.owner, position: ticket.position, seenAt: ticket.seenAt });
          }
        }
        if (lock === undefined) continue;
        locks.push({ ...lockRecord(lock, nowIso), waiting: waiting.filter((w) => w.owner !== lock.owner) });
      }
      return locks.sort((a, b) => (`${a.project}#${a.environment}` < `${b.project}#${b.environment}` ? -1 : 1));
    });
  }

  return { acquireLock, getLock, releaseLock, leaveQueue, forceUnlock, listUnlocks, listLocks };
}

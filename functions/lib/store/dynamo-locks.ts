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
  PARKED_TICKETS_INDEX_PK,
  parkedTicketIndexKeys,
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
  LockQueue,
  LockRecord,
  LockStore,
  LockTicket,
  ParkedTicket,
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
  /** Handed over (reserveLock) to a waiting run that has not yet taken it. */
  reserved?: boolean;
  /** The holder whose expired lease the reservation replaced: its run reports it when it takes the lock. */
  tookOverFrom?: string;
  lastPosition?: string;
  lastOwner?: string;
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
  /** When the run first asked (kept across its acquireLock calls). */
  queuedAt?: string;
  mode?: 'queue' | 'supersede';
  /** Parked (WaitForLock): the token that resumes it, and until when it waits. */
  taskToken?: string;
  waitUntil?: string;
}

/**
 * Whether a ticket still counts: parked on a token whose wait has not ended, or asked within the
 * waiter TTL (a run between AcquireLock and WaitForLock, or just resumed and on its way to take the lock).
 */
function isAlive(ticket: TicketItem, nowIso: string, aliveSince: string): boolean {
  if (ticket.taskToken !== undefined && ticket.waitUntil !== undefined && ticket.waitUntil >= nowIso) return true;
  return ticket.seenAt >= aliveSince;
}

function lockTicket(ticket: TicketItem): LockTicket {
  return {
    owner: ticket.owner,
    position: ticket.position,
    mode: ticket.mode ?? 'queue',
    waitingSince: ticket.queuedAt ?? ticket.seenAt,
    ...(ticket.taskToken === undefined ? {} : { taskToken: ticket.taskToken }),
  };
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
    ...(item.reserved === true ? { reserved: true } : {}),
  };
}

/**
 * Locks on repo + project + environment (access pattern 6), one item per lock plus one queue ticket
 * per waiter in the same partition (see keys.ts). Mutual exclusion rests on one conditional put of
 * the lock item; the tickets only decide who may try, so that in `queue` mode the oldest run goes
 * first and in `supersede` mode older runs learn that a newer one is waiting. No transactions: each
 * step is a single-item write that is safe to repeat. A waiter parks its ticket on a task token
 * (parkTicket, WaitForLock) and is handed the lock (reserveLock, functions/lib/locks/hand-over.ts)
 * instead of polling; a ticket neither parked nor refreshed for `waiterTtlSeconds` stops counting, so
 * a run that died between AcquireLock and WaitForLock does not block the queue.
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

      // a. Take (or keep) a place in the queue, before looking at anyone else's. The first ask's time
      // stays (how long this run has waited); a token of an earlier WaitForLock is spent: it goes.
      const asked = await client.send(
        new UpdateCommand({
          TableName,
          Key: ownTicket,
          UpdateExpression:
            'SET entity = :entity, #owner = :owner, #position = :position, #mode = :mode, seenAt = :now,' +
            ' queuedAt = if_not_exists(queuedAt, :now), expiresAt = :expiresAt' +
            ' REMOVE taskToken, waitUntil, gsi1pk, gsi1sk',
          ExpressionAttributeNames: { '#owner': 'owner', '#position': 'position', '#mode': 'mode' },
          ExpressionAttributeValues: {
            ':entity': 'lock-ticket',
            ':owner': owner,
            ':position': options.position,
            ':mode': options.mode,
            ':now': nowIso,
            ':expiresAt': epochSeconds(at) + waiterTtlSeconds + DAY_SECONDS,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const waitingSince = (asked.Attributes as TicketItem | undefined)?.queuedAt ?? nowIso;

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
          (isAlive(ticket, nowIso, aliveSince) ? live : dead).push(ticket);
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
        return { status: 'waiting', ...(lock ? { holder: lockRecord(lock, nowIso) } : {}), ahead, waitingSince };
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
        return {
          status: 'waiting',
          ...(holder ? { holder: lockRecord(holder, nowIso) } : {}),
          ahead,
          waitingSince,
        };
      }
      await client.send(new DeleteCommand({ TableName, Key: ownTicket }));
      // A lock handed over to us over an expired lease was taken over all the same.
      const tookOverFrom =
        previous === undefined ? undefined : previous.owner !== owner ? previous.owner : previous.tookOverFrom;
      return {
        status: 'acquired',
        lock: lockRecord(item, nowIso),
        ...(tookOverFrom === undefined ? {} : { tookOverFrom }),
        waitingSince,
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
              'SET lastOwner = :owner, lastPosition = if_not_exists(#position, :none)' +
              ' REMOVE #owner, acquiredAt, leaseExpiresAt, #position, #reserved, tookOverFrom, expiresAt, gsi1pk, gsi1sk',
            ExpressionAttributeNames: { '#owner': 'owner', '#position': 'position', '#reserved': 'reserved' },
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
                ' REMOVE #owner, acquiredAt, leaseExpiresAt, #position, #reserved, tookOverFrom, expiresAt, gsi1pk, gsi1sk',
              ExpressionAttributeNames: { '#owner': 'owner', '#position': 'position', '#reserved': 'reserved' },
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

  /**
   * One consistent read of a lock's partition: the lock item (held or released) and its queue
   * tickets in queue order, split into those still counting (isAlive at `at`) and dead ones.
   */
  async function readPartition(
    key: TargetKey,
    at: Date,
  ): Promise<{ item: LockItem | ReleasedLockItem | undefined; alive: TicketItem[]; dead: TicketItem[] }> {
    const nowIso = at.toISOString();
    const aliveSince = new Date(at.getTime() - DEFAULT_WAITER_TTL_SECONDS * 1000).toISOString();
    const partition: { item: LockItem | ReleasedLockItem | undefined; alive: TicketItem[]; dead: TicketItem[] } = {
      item: undefined,
      alive: [],
      dead: [],
    };
    for await (const item of queryItems(client, {
      TableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': lockPk(key) },
      ConsistentRead: true,
    })) {
      if (item.sk === lockKey(key).sk) partition.item = item as unknown as LockItem | ReleasedLockItem;
      else if (typeof item.sk === 'string' && item.sk.startsWith(TICKET_SK_PREFIX)) {
        const ticket = item as unknown as TicketItem;
        (isAlive(ticket, nowIso, aliveSince) ? partition.alive : partition.dead).push(ticket);
      }
    }
    return partition;
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
        const { item, alive } = await readPartition(key, at);
        const lock = isHeld(item) ? item : undefined;
        // The same test as acquireLock's: parked until its wait ends, else asked within the waiter TTL.
        const waiting: HeldLockRecord['waiting'] = alive.map((ticket) => ({
          owner: ticket.owner,
          position: ticket.position,
          seenAt: ticket.seenAt,
          ...(ticket.queuedAt === undefined ? {} : { waitingSince: ticket.queuedAt }),
          ...(ticket.taskToken === undefined ? {} : { parked: true }),
        }));
        if (lock === undefined) continue;
        locks.push({ ...lockRecord(lock, nowIso), waiting: waiting.filter((w) => w.owner !== lock.owner) });
      }
      return locks.sort((a, b) => (`${a.project}#${a.environment}` < `${b.project}#${b.environment}` ? -1 : 1));
    });
  }

  async function parkTicket(
    key: TargetKey,
    ticket: { owner: string; position: string },
    taskToken: string,
    waitUntil: Date,
    now?: Date,
  ): Promise<boolean> {
    return storeCall(`parkTicket ${lockPk(key)}`, async () => {
      const at = now ?? clock();
      try {
        await client.send(
          new UpdateCommand({
            TableName,
            Key: ticketKey(key, ticket.position, ticket.owner),
            // Only a ticket that is still there: a run that left the queue must not come back through it.
            ConditionExpression: 'attribute_exists(pk) AND #owner = :owner',
            UpdateExpression:
              'SET taskToken = :token, waitUntil = :until, seenAt = :now, #repo = :repo, #project = :project,' +
              ' #environment = :environment, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk, expiresAt = :expiresAt',
            // ENVIRONMENT is a DynamoDB reserved word; the others are named alike for consistency.
            ExpressionAttributeNames: {
              '#owner': 'owner',
              '#repo': 'repo',
              '#project': 'project',
              '#environment': 'environment',
            },
            ExpressionAttributeValues: {
              ':owner': ticket.owner,
              ':token': taskToken,
              ':until': waitUntil.toISOString(),
              ':now': at.toISOString(),
              ':repo': key.repo,
              ':project': key.project,
              ':environment': key.environment,
              ...Object.fromEntries(
                Object.entries(parkedTicketIndexKeys(key, ticket.position, ticket.owner)).map(([k, v]) => [`:${k}`, v]),
              ),
              ':expiresAt': epochSeconds(waitUntil) + DAY_SECONDS,
            },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return false;
        throw error;
      }
    });
  }

  async function lockQueue(key: TargetKey, now?: Date): Promise<LockQueue> {
    return storeCall(`lockQueue ${lockPk(key)}`, async () => {
      const at = now ?? clock();
      const nowIso = at.toISOString();
      const { item, alive, dead } = await readPartition(key, at);
      const queue: LockQueue = { tickets: alive.map(lockTicket) };
      if (isHeld(item))
        queue.holder = { ...lockRecord(item, nowIso), ...(item.position ? { position: item.position } : {}) };
      const last = item as LockItem | undefined;
      if (last?.lastPosition) queue.lastPosition = last.lastPosition;
      if (last?.lastOwner) queue.lastOwner = last.lastOwner;
      // Dead parked tickets would stay in the sweep's index until TTL: drop them now.
      await Promise.all(dead.map(dropDeadTicket));
      return queue;
    });
  }

  async function reserveLock(
    key: TargetKey,
    ticket: { owner: string; position: string },
    options: { reservationSeconds: number; tookOverFrom?: string },
    now?: Date,
  ): Promise<boolean> {
    return storeCall(`reserveLock ${lockPk(key)}`, async () => {
      const at = now ?? clock();
      if (!(options.reservationSeconds > 0)) throw new StoreError('reservationSeconds must be positive');
      const leaseEnd = new Date(at.getTime() + options.reservationSeconds * 1000);
      try {
        // An update, not a put: lastPosition and lastOwner stay, so cancelling the reservation restores the lock as it was.
        await client.send(
          new UpdateCommand({
            TableName,
            Key: lockKey(key),
            // The same exclusion as acquireLock's put: free or expired, and never older than the newest that held it.
            ConditionExpression:
              '(attribute_not_exists(#owner) OR leaseExpiresAt < :now)' +
              ' AND (attribute_not_exists(lastPosition) OR lastPosition <= :position)',
            UpdateExpression:
              'SET entity = :entity, #repo = :repo, #project = :project, #environment = :environment, #owner = :owner,' +
              ' acquiredAt = :now, leaseExpiresAt = :lease, #position = :position, #reserved = :true,' +
              ' gsi1pk = :gsi1pk, gsi1sk = :gsi1sk, expiresAt = :expiresAt' +
              (options.tookOverFrom === undefined ? ' REMOVE tookOverFrom' : ', tookOverFrom = :previous'),
            ExpressionAttributeNames: {
              '#owner': 'owner',
              '#position': 'position',
              '#repo': 'repo',
              '#project': 'project',
              '#environment': 'environment',
              '#reserved': 'reserved',
            },
            ExpressionAttributeValues: {
              ':entity': 'lock',
              ':repo': key.repo,
              ':project': key.project,
              ':environment': key.environment,
              ':owner': ticket.owner,
              ':now': at.toISOString(),
              ':lease': leaseEnd.toISOString(),
              ':position': ticket.position,
              ':true': true,
              ':gsi1pk': lockIndexKeys(key).gsi1pk,
              ':gsi1sk': lockIndexKeys(key).gsi1sk,
              ':expiresAt': epochSeconds(leaseEnd) + DAY_SECONDS,
              ...(options.tookOverFrom === undefined ? {} : { ':previous': options.tookOverFrom }),
            },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return false;
        throw error;
      }
    });
  }

  async function cancelReservation(key: TargetKey, owner: string): Promise<void> {
    return storeCall(`cancelReservation ${lockPk(key)}`, async () => {
      try {
        await client.send(
          new UpdateCommand({
            TableName,
            Key: lockKey(key),
            ConditionExpression: '#owner = :owner AND #reserved = :true',
            UpdateExpression:
              'REMOVE #owner, acquiredAt, leaseExpiresAt, #position, #reserved, tookOverFrom, expiresAt, gsi1pk, gsi1sk',
            ExpressionAttributeNames: { '#owner': 'owner', '#position': 'position', '#reserved': 'reserved' },
            ExpressionAttributeValues: { ':owner': owner, ':true': true },
          }),
        );
      } catch (error) {
        // Taken (acquireLock replaced the reservation) or already released: nothing to undo.
        if (!isConditionalCheckFailed(error)) throw error;
      }
    });
  }

  async function ticketResumed(
    key: TargetKey,
    ticket: { owner: string; position: string; taskToken: string },
    now?: Date,
  ): Promise<void> {
    return storeCall(`ticketResumed ${lockPk(key)}`, async () => {
      try {
        await client.send(
          new UpdateCommand({
            TableName,
            Key: ticketKey(key, ticket.position, ticket.owner),
            ConditionExpression: 'taskToken = :token',
            UpdateExpression: 'SET seenAt = :now, resumedAt = :now REMOVE taskToken, waitUntil, gsi1pk, gsi1sk',
            ExpressionAttributeValues: { ':token': ticket.taskToken, ':now': (now ?? clock()).toISOString() },
          }),
        );
      } catch (error) {
        // Its run already asked again (acquireLock removed the token) or took the lock (the ticket is gone).
        if (!isConditionalCheckFailed(error)) throw error;
      }
    });
  }

  async function dropTicket(
    key: TargetKey,
    ticket: { owner: string; position: string; taskToken: string },
  ): Promise<void> {
    return storeCall(`dropTicket ${lockPk(key)}`, async () => {
      try {
        await client.send(
          new DeleteCommand({
            TableName,
            Key: ticketKey(key, ticket.position, ticket.owner),
            ConditionExpression: 'taskToken = :token',
            ExpressionAttributeValues: { ':token': ticket.taskToken },
          }),
        );
      } catch (error) {
        // Parked again with a new token, or asked again since: that run is alive, its ticket stays.
        if (!isConditionalCheckFailed(error)) throw error;
      }
    });
  }

  /** The parked tickets' index items, across repositories (eventually consistent). */
  function queryParkedTickets() {
    return queryAll(client, {
      TableName,
      IndexName: GSI1,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': PARKED_TICKETS_INDEX_PK },
    });
  }

  async function listParkedLocks(): Promise<TargetKey[]> {
    return storeCall('listParkedLocks', async () => {
      const items = await queryParkedTickets();
      const keys = new Map<string, TargetKey>();
      for (const item of items) {
        const { repo, project, environment } = item as { repo?: unknown; project?: unknown; environment?: unknown };
        if (typeof repo !== 'string' || typeof project !== 'string' || typeof environment !== 'string') continue;
        const key = { repo, project, environment };
        keys.set(lockPk(key), key);
      }
      return [...keys.values()];
    });
  }

  async function listParkedTickets(): Promise<ParkedTicket[]> {
    return storeCall('listParkedTickets', async () => {
      const items = await queryParkedTickets();
      const tickets: ParkedTicket[] = [];
      for (const item of items) {
        const { repo, project, environment, owner, position, taskToken } = item as Record<string, unknown>;
        if (
          typeof repo !== 'string' ||
          typeof project !== 'string' ||
          typeof environment !== 'string' ||
          typeof owner !== 'string' ||
          typeof position !== 'string' ||
          typeof taskToken !== 'string'
        )
          continue;
        tickets.push({ key: { repo, project, environment }, owner, position, taskToken });
      }
      return tickets;
    });
  }

  return {
    acquireLock,
    getLock,
    releaseLock,
    leaveQueue,
    forceUnlock,
    listUnlocks,
    listLocks,
    parkTicket,
    lockQueue,
    reserveLock,
    cancelReservation,
    ticketResumed,
    dropTicket,
    listParkedLocks,
    listParkedTickets,
  };
}

import * as z from 'zod';
import { readEnv } from '../read-env.ts';
import { createDynamoStore } from '../store/dynamo-store.ts';
import type { Store } from '../store/types.ts';
import { dynamoDocumentClient } from './clients/dynamodb.ts';

let store: Store | undefined;

/** The record store of the workflow's functions, built on first use from `TABLE_NAME` and the shared client. */
export function runtimeStore(): Store {
  store ??= createDynamoStore({
    tableName: readEnv({ TABLE_NAME: z.string().min(1) }).TABLE_NAME,
    client: dynamoDocumentClient(),
  });
  return store;
}

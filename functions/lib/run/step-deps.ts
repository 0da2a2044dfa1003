import * as z from 'zod';
import { readEnv } from '../read-env.ts';
import { createDynamoStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';

let store: Store | undefined;

/** The store every workflow step uses, built once per warm Lambda from `TABLE_NAME`. */
export function defaultStore(): Store {
  store ??= createDynamoStore({ tableName: readEnv({ TABLE_NAME: z.string().min(1) }).TABLE_NAME });
  return store;
}

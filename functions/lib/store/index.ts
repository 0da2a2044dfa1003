export type * from './types.ts';
export { createDynamoStore } from './dynamo-store.ts';
export { AlreadyExistsError, InvalidTransitionError, NotFoundError, StoreError } from './errors.ts';
export { targetKeyOf } from './target-key.ts';
export * as keys from './keys.ts';

import { PushgateError } from '../errors.ts';

/** The rollback run was recorded but its execution could not be started (the run is marked failed). */
export class RollbackStartError extends PushgateError {}

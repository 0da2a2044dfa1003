import { createDynamoStore } from '../../functions/lib/store/index.ts';
import type { Store } from '../../functions/lib/store/types.ts';
import { CliUsageError } from './cli-usage-error.ts';

/**
 * The record store the CLI reads: the table named by `--table` or `PUSHGATE_TABLE`, reached with the
 * AWS SDK's usual configuration (credentials, `AWS_REGION`, and `AWS_ENDPOINT_URL_DYNAMODB`, which
 * `pushgate dev` prints so the CLI reads the local stack).
 */
export function storeFromEnv(
  table: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { store: Store; tableName: string } {
  const tableName = table ?? env.PUSHGATE_TABLE;
  if (!tableName) {
    throw new CliUsageError(
      'which table? Pass --table or set PUSHGATE_TABLE (the stack output PushgateTableName; `pushgate dev` prints the exports to use)',
    );
  }
  return { store: createDynamoStore({ tableName }), tableName };
}

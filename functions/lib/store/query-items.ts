import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/**
 * Every item a Query matches, across pages (a page stops at 1 MB). Stop iterating to stop reading:
 * the next page is only requested when the consumer asks for more.
 */
export async function* queryItems(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  pageSize?: number,
): AsyncGenerator<Record<string, unknown>> {
  for await (const page of paginateQuery({ client, ...(pageSize === undefined ? {} : { pageSize }) }, input)) {
    yield* page.Items ?? [];
  }
}

/** Every item a Query matches, across pages, as one array. */
export async function queryAll(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const item of queryItems(client, input)) items.push(item);
  return items;
}

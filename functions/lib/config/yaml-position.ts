import { isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

/**
 * The 1-based line and column of the deepest node on `path` that exists in `doc`: a missing key
 * reports its parent. For a mapping entry the key's position, which is where a user looks even when
 * the value is a block below it. Used by parse-config.ts (its problems' lines) and `pushgate validate`.
 */
export function yamlPosition(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
): { line: number; col: number } | undefined {
  let node: unknown = doc.contents;
  let offset = isMap(node) || isSeq(node) ? node.range?.[0] : undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      if (isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (!(isMap(item) || isSeq(item) || isScalar(item)) || !item.range) break;
      offset = item.range[0];
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset);
}

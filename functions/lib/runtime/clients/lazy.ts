/**
 * A value built on first use and then kept for the life of the Lambda: warm invocations reuse a
 * client's connections, and a cold start builds only the clients its function uses.
 */
export function lazy<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => (built ??= build());
}

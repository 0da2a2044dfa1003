/**
 * Starts a loopback service on `preferred` when that port is free, else on any free port. The local
 * stack keeps its ports across restarts this way (`pushgate dev --data`), so the endpoints a user
 * exported in another shell stay valid; `onTaken` hears when one could not be kept. Without a
 * preference (undefined or 0) it is simply any free port.
 */
export async function startOnPreferredPort<T>(
  preferred: number | undefined,
  start: (port: number) => Promise<T>,
  onTaken: (port: number) => void,
): Promise<T> {
  if (!preferred) return start(0);
  try {
    return await start(preferred);
  } catch (error) {
    if (!isAddressInUse(error)) throw error;
    onTaken(preferred);
    return start(0);
  }
}

function isAddressInUse(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if ((current as NodeJS.ErrnoException).code === 'EADDRINUSE') return true;
  }
  return false;
}

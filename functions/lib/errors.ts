/**
 * Base of every error pushgate raises on purpose. Each module extends it once (`StoreError`,
 * `ConfigError`, …); the edge (a handler) maps them to status codes or workflow error names.
 * The `name` is what Step Functions matches in Retry/Catch `ErrorEquals`, so keep it stable.
 */
export class PushgateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

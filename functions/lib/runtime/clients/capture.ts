type Capture = <T extends object>(client: T) => T;

let capture: Capture = (client) => client;

/**
 * Hands every AWS SDK client built in runtime/clients/ to the tracer, once a function loads it:
 * runtime/tracer.ts registers itself here when imported (every step handler imports it through
 * step-handler.ts). The clients do not import the tracer themselves, so a function that does not
 * trace through it (the webhook, whose bundle must stay small, imports the store and the workflow
 * that name these clients) does not bundle the X-Ray SDK.
 */
export function setClientCapture(next: Capture): void {
  capture = next;
}

/** The client as the function's tracer wants it (unchanged when none is loaded or tracing is off). */
export function captured<T extends object>(client: T): T {
  return capture(client);
}

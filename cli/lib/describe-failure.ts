/** An error and its causes, outermost first (at most 8: a cause chain can loop). */
function chain(error: unknown): unknown[] {
  const errors: unknown[] = [];
  for (let at = error; at !== undefined && at !== null && errors.length < 8;) {
    errors.push(at);
    at = at instanceof Error ? at.cause : undefined;
  }
  return errors;
}

function nameOf(error: unknown): string {
  if (!(error instanceof Error)) return '';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} ${code}` : error.name;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** What to do next for the usual ways a call to AWS fails from a user's shell. */
const NEXT_STEPS: ReadonlyArray<{ when: RegExp; next: string }> = [
  {
    when: /CredentialsProviderError|Could not load credentials/,
    next: 'no AWS credentials: set AWS_PROFILE (or run `aws sso login`); for the local stack, paste the exports `pushgate dev` prints',
  },
  {
    when: /Region is missing/,
    next: 'set AWS_REGION to the region of the pushgate stack',
  },
  {
    when: /UnrecognizedClient|InvalidSignature|ExpiredToken|InvalidClientTokenId|SignatureDoesNotMatch/,
    next: 'AWS refused your credentials: renew them (`aws sso login`); for the local stack, paste the exports of its latest start',
  },
  {
    when: /AccessDenied|not authorized/,
    next: 'your AWS identity may not do this: ask the operator of the pushgate stack for read access to it',
  },
  {
    when: /ResourceNotFoundException|Requested resource not found|ParameterNotFound/,
    next: 'check --table / PUSHGATE_TABLE (the stack output PushgateTableName) and AWS_REGION',
  },
  {
    when: /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|TimeoutError|ETIMEDOUT/,
    next: 'could not reach AWS: is `pushgate dev` running and are its exports (AWS_ENDPOINT_URL_…) from its current start? On AWS, check the network and AWS_REGION',
  },
];

/**
 * One line for a command's own failure (AWS or GitHub said no, the network failed): what went wrong,
 * the first cause that says more, and what to do next when the failure is a usual one. Never a stack.
 */
export function describeFailure(error: unknown): string {
  const errors = chain(error);
  const messages: string[] = [];
  for (const each of errors) {
    const message = messageOf(each).split('\n')[0]?.trim() ?? '';
    if (message && !messages.some((known) => known.includes(message))) messages.push(message);
  }
  const text = messages.slice(0, 2).join(': ') || 'failed';
  const signature = errors.map((each) => `${nameOf(each)} ${messageOf(each)}`).join('\n');
  const next = NEXT_STEPS.find(({ when }) => when.test(signature))?.next;
  return next ? `${text} (${next})` : text;
}

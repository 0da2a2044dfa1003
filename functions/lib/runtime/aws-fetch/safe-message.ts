/**
 * AWS answers a bad signature with the canonical request and the string to sign, which carry the
 * session token: of such a message only the first line goes into the error (errors are logged), and
 * a session token is never kept, whatever the code.
 */
export function safeMessage(code: string, message: string): string {
  const kept = /signature/i.test(code) ? (message.split('\n')[0] ?? '') : message;
  return kept.replace(/(x-amz-security-token\s*[:=]\s*)\S+/gi, '$1[redacted]');
}

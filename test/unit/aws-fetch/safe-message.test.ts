import { describe, expect, it } from 'vitest';
import { safeMessage } from '../../../functions/lib/runtime/aws-fetch/safe-message.ts';

describe('safeMessage', () => {
  it('keeps only the first line of a signature error, whose canonical request carries the session token', () => {
    const message =
      'The request signature we calculated does not match the signature you provided.\n\n' +
      "The Canonical String for this request should have been\n'POST\n/\n\nhost:dynamodb.us-east-1.amazonaws.com\nx-amz-security-token:IQoJb3JpZ2luX2VjEXAMPLE\n'";
    expect(safeMessage('InvalidSignatureException', message)).toBe(
      'The request signature we calculated does not match the signature you provided.',
    );
  });

  it('redacts a session token in any other message, and keeps the rest', () => {
    expect(safeMessage('AccessDeniedException', 'denied; x-amz-security-token: IQoJb3JpZ2lu more')).toBe(
      'denied; x-amz-security-token: [redacted] more',
    );
    expect(safeMessage('ConditionalCheckFailedException', 'The conditional request failed')).toBe(
      'The conditional request failed',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { maskedTokens, maskToken } from '../../../lambdas/logs/variables.js';

describe('Function: maskToken', () => {
  it.each([
    ['42', '<*>'],
    ['-3.5', '<*>'],
    ['0x7fed806eb5d', '<*>'],
    ['a64f992', '<*>'],
    ['10.251.73.220:50010', '<*>'],
    ['/10.10.34.11:45307', '<*>'],
    ['[173.234.31.186]', '[<*>]'],
    ['msra-sa-41/10.190.173.170:9000', '<*>'],
    ['db-1.internal:5432', '<*>'],
    ['fe80::1ff:fe23:4567:890a', '<*>'],
    ['00:1a:2b:3c:4d:5e', '<*>'],
    ['550e8400-e29b-41d4-a716-446655440000', '<*>'],
    ['/var/log/nginx/access.log', '<*>'],
    ['C:\\Windows\\winsxs\\x.dll', '<*>'],
    ['https://example.com/a?b=1', '<*>'],
    ['2016-09-28T04:30:30Z', '<*>'],
    ['17:41:44,747', '<*>'],
    ['250ms', '<*>'],
    ['64KB', '<*>'],
    ['(HWID=1973)', '(HWID=<*>)'],
    ['uid=0', 'uid=<*>'],
    ['blk_-6952295868487656571', '<*>'],
    ['appattempt_1445144423722_0020_000001', '<*>'],
    ['core.12345', 'core.<*>'],
    ['rhost=10.0.0.1', 'rhost=<*>'],
    ['10.0.0.1:50010:Got', '<*>:Got'],
    ['i-fetch......................0', 'i-fetch......................<*>'],
  ])('masks the variable parts of %s', (token, expected) => {
    // Act
    const masked = maskToken(token);

    // Assess
    expect(masked).toBe(expected);
  });

  it.each(['ssh2', 'HTTP/1.1', 'ext3', 'error', 'tty=ssh', 'logname=', 'x86'])(
    'keeps %s, a name rather than a value',
    (token) => {
      expect(maskToken(token)).toBe(token);
    },
  );
});

describe('Function: maskedTokens', () => {
  it('folds a size unit into the number before it', () => {
    // Act
    const tokens = maskedTokens('stored (estimated size 16.0 B, free 1.2 KB)');

    // Assess
    expect(tokens).toEqual(['stored', '(estimated', 'size', '<*>,', 'free', '<*>)']);
  });

  it.each([
    ['connection from 10.1.2.3 at Fri Jul 1 00:04:41 2005', 'connection from <*> at <*>'],
    ['child started [Sun Dec 04 04:47:44 2005] in slot 6', 'child started [<*>] in slot <*>'],
    ['Dec 4 04:47:44 UTC host restarted', '<*> host restarted'],
    ['job took 12:30 in total', 'job took <*> in total'],
  ])('makes a timestamp spread over tokens one variable: %s', (message, expected) => {
    expect(maskedTokens(message).join(' ')).toBe(expected);
  });

  it('returns no tokens for a blank message', () => {
    expect(maskedTokens('   ')).toEqual([]);
  });
});

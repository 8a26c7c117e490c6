import { describe, expect, it } from 'vitest';
import { mergeTokens, templateText, tokenCovers } from '../../../lambdas/logs/tokens-merge.js';

describe('Function: mergeTokens', () => {
  it.each([
    ['user=root', 'user=admin', 'user=<*>'],
    ['[a]', '[bb]', '[<*>]'],
    ['root', 'admin', '<*>'],
    ['user1', 'user2', '<*>'],
    ['<*>,', '<*>', '<*>'],
    ['same', 'same', 'same'],
    ["'<*>'", "'x'", "'<*>'"],
  ])('merges %s and %s into %s', (a, b, expected) => {
    expect(mergeTokens(a, b)).toBe(expected);
  });
});

describe('Function: tokenCovers', () => {
  it.each([
    ['user=<*>', 'user=bob', true],
    ['user=<*>', 'uid=0', false],
    ['<*>', 'anything', true],
    ['[<*>]:<*>', '[a]:b', true],
    ['[<*>]:<*>', 'a:b', false],
    ['plain', 'plain', true],
    ['plain', 'other', false],
  ])('%s covers %s: %s', (pattern, token, expected) => {
    expect(tokenCovers(pattern, token)).toBe(expected);
  });
});

describe('Function: templateText', () => {
  it('folds runs of bare wildcards', () => {
    expect(templateText(['a', '<*>', '<*>', 'b', '<*>'])).toBe('a <*> b <*>');
  });
});

/** Comparison of secrets without an early exit that would leak, through timing, how much matched. */
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether `given` equals `expected`, in time that does not depend on where they differ.
 * `timingSafeEqual` throws on inputs of different lengths, and comparing lengths first would tell
 * an attacker the secret's length: both sides are hashed to 32 bytes first, then compared.
 * A missing or empty `given` never matches.
 *
 * @example
 * safeEqual(request.headers['x-telegram-bot-api-secret-token'], config.webhookSecret)
 */
export function safeEqual(given: string | undefined, expected: string): boolean {
  if (given === undefined || given.length === 0 || expected.length === 0) return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

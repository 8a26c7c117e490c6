import { createHash, timingSafeEqual } from 'node:crypto';

/** The bearer token of an `Authorization` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

/**
 * Whether a presented token is one of the accepted ones. Compares digests in constant time, so
 * neither the content nor the length of a token leaks through timing.
 */
export function tokenAccepted(presented: string, accepted: readonly string[]): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const mine = digest(presented);
  let ok = false;
  for (const token of accepted) if (token !== '' && timingSafeEqual(mine, digest(token))) ok = true;
  return ok;
}

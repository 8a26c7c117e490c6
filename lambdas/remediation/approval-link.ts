/**
 * Signed approve/deny links for email: `…/approval?id=<id>&decision=approve&expires=<s>&sig=<mac>`,
 * the MAC an HMAC-SHA256 over the approval id, the decision and the expiry with a secret only
 * the stack holds. The link proves who received the email may decide; it expires with the
 * approval, and one for `approve` cannot be turned into `deny` or used for another approval.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApprovalLinkError } from './errors.js';

export type LinkDecision = 'approve' | 'deny';

function mac(secret: string, id: string, decision: LinkDecision, expires: number): string {
  return createHmac('sha256', secret)
    .update(`vigil-approval\n${id}\n${decision}\n${expires}`)
    .digest('base64url');
}

/**
 * @example
 * approvalLink('https://api…/prod/v1/remediation/approval', secret, 'k3x…', 'approve', expiresSeconds);
 */
export function approvalLink(
  baseUrl: string,
  secret: string,
  id: string,
  decision: LinkDecision,
  expiresEpochSeconds: number,
): string {
  const query = new URLSearchParams({
    id,
    decision,
    expires: String(expiresEpochSeconds),
    sig: mac(secret, id, decision, expiresEpochSeconds),
  });
  return `${baseUrl.replace(/\/+$/, '')}?${query}`;
}

/**
 * Checks a link's parameters; returns the decision it carries.
 *
 * @throws {ApprovalLinkError} when the decision is unknown, the link expired or the MAC is wrong
 */
export function verifyApprovalLink(
  secret: string,
  id: string,
  params: { decision?: string; expires?: string; sig?: string },
  nowMs: number,
): LinkDecision {
  const { decision, expires, sig } = params;
  if (decision !== 'approve' && decision !== 'deny') {
    throw new ApprovalLinkError('decision must be approve or deny');
  }
  const expiresAt = Number(expires);
  if (!Number.isInteger(expiresAt)) throw new ApprovalLinkError('expires is missing');
  if (typeof sig !== 'string' || sig === '') throw new ApprovalLinkError('sig is missing');
  const expected = Buffer.from(mac(secret, id, decision, expiresAt));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApprovalLinkError('the link is not valid');
  }
  if (nowMs > expiresAt * 1000) throw new ApprovalLinkError('the link has expired');
  return decision;
}

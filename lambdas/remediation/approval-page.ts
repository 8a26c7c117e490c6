/**
 * The page behind the signed links of approval emails (`GET|POST /v1/remediation/approval`):
 * GET checks the link and shows what would run with a Confirm button; only the POST of that
 * form decides. So a mail scanner that follows links (they only GET) approves nothing.
 */
import { escapeHtml } from '../notify/telegram-format.js';
import { verifyApprovalLink } from './approval-link.js';
import { decide, decisionToast, type TaskCallbacks } from './approvals.js';
import { ApprovalLinkError } from './errors.js';
import type { RemediationStore } from './store.js';

export interface ApprovalPageRequest {
  method: string;
  query: Record<string, string | undefined>;
  /** The form body of a POST (`application/x-www-form-urlencoded`). */
  body?: string | null;
}

export interface ApprovalPageResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface ApprovalPageDeps {
  readonly store: RemediationStore;
  readonly callbacks: TaskCallbacks;
  readonly linkSecret: () => Promise<string>;
  /** @default Date.now */
  readonly now?: () => number;
}

function page(statusCode: number, title: string, content: string): ApprovalPageResponse {
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
      'referrer-policy': 'no-referrer',
    },
    body: `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title><style>body{font:16px system-ui;margin:3em auto;max-width:36em}button{font-size:1.1em;padding:.5em 1.5em}</style></head><body><h1>${escapeHtml(title)}</h1>${content}</body></html>`,
  };
}

/**
 * @example
 * const handle = createApprovalPage({ store, callbacks: sfnTaskCallbacks(sfn), linkSecret });
 * const response = await handle({ method: event.httpMethod, query: event.queryStringParameters ?? {}, body: event.body });
 */
export function createApprovalPage(deps: ApprovalPageDeps) {
  const clock = deps.now ?? Date.now;
  return async (request: ApprovalPageRequest): Promise<ApprovalPageResponse> => {
    const params =
      request.method === 'POST'
        ? Object.fromEntries(new URLSearchParams(request.body ?? ''))
        : request.query;
    const id = params.id ?? '';
    let decision: 'approve' | 'deny';
    try {
      decision = verifyApprovalLink(await deps.linkSecret(), id, params, clock());
    } catch (error) {
      if (!(error instanceof ApprovalLinkError)) throw error;
      return page(403, 'Link not valid', `<p>${escapeHtml(error.message)}.</p>`);
    }
    const approval = await deps.store.getApproval(id);
    if (!approval)
      return page(404, 'Unknown approval', '<p>This approval is unknown or expired.</p>');
    const verb = decision === 'approve' ? 'Approve' : 'Deny';
    if (request.method !== 'POST') {
      const hidden = (['id', 'decision', 'expires', 'sig'] as const)
        .map(
          (name) =>
            `<input type="hidden" name="${name}" value="${escapeHtml(params[name] ?? '')}">`,
        )
        .join('');
      return page(
        200,
        `${verb} ${approval.runbook}?`,
        `<p><b>Action:</b> ${escapeHtml(approval.description)}</p><p><b>Target:</b> <code>${escapeHtml(approval.target)}</code></p>${approval.decision ? `<p>Already ${approval.decision === 'approve' ? 'approved' : 'denied'} by ${escapeHtml(approval.decidedBy ?? '?')}.</p>` : `<form method="post">${hidden}<button type="submit">${verb}</button></form>`}`,
      );
    }
    const result = await decide(deps.store, deps.callbacks, {
      approvalId: id,
      decision,
      by: 'email-link',
      now: clock(),
    });
    return page(200, decisionToast(result), `<p>${escapeHtml(approval.description)}</p>`);
  };
}

// Errors of the outbound client. `OutboundRefused`: the request was stopped by policy before
// anything was sent to the target (nothing to retry against the same URL). `OutboundError`:
// it was allowed but failed (timeout, size cap, bad response). Messages name the host at
// most, never the full URL: query strings can carry secrets.

export type OutboundRefusalReason =
  | 'invalid-url'
  | 'url-too-long'
  | 'scheme'
  | 'credentials'
  | 'hostname'
  | 'address'
  | 'port'
  | 'resolution-failed'
  | 'too-many-redirects';

export type OutboundFailureCode = 'timeout' | 'response-too-large' | 'content-type' | 'invalid-response' | 'network';

export class OutboundError extends Error {
  readonly code: OutboundFailureCode | 'refused';
  constructor(code: OutboundFailureCode | 'refused', message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class OutboundRefused extends OutboundError {
  readonly reason: OutboundRefusalReason;
  /** For `address`: the refused range's name, e.g. `loopback`, `private`, `nat64-link-local`. */
  readonly range: string | undefined;
  constructor(reason: OutboundRefusalReason, detail: string, range?: string) {
    super('refused', `outbound request refused (${reason}${range === undefined ? '' : `: ${range}`}): ${detail}`);
    this.reason = reason;
    this.range = range;
  }
}

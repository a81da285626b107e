// Webhook signatures, Stripe-style, so receivers can tell our deliveries from forgeries and
// replays:  Rampart-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
// The timestamp is inside the MAC, so an old delivery cannot be re-sent with a fresh time;
// receivers refuse timestamps outside a tolerance window (default 5 minutes) and dedupe on
// the Rampart-Delivery-Id header. Several v1 entries may appear (one per active secret).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_SIGNATURE_HEADER = 'rampart-signature';
const DEFAULT_TOLERANCE_SECONDS = 300;
const MAX_HEADER_LENGTH = 4096;

/** A new signing secret: `whsec_` + 32 random bytes, base64url. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function mac(secret: string, timestamp: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

/** The header value for `body` sent at `timestampSeconds`. */
export function signWebhook(secret: string, body: string | Uint8Array, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${mac(secret, timestampSeconds, body).toString('hex')}`;
}

export interface VerifyOptions {
  /** Largest accepted distance between the signed time and now (default 300 s). */
  toleranceSeconds?: number;
  /** Current time in ms (default Date.now). */
  now?: () => number;
}

/**
 * True only when `header` carries a v1 signature of exactly `body` (the raw bytes received,
 * before any JSON parsing) by `secret`, made within the tolerance window. Constant-time.
 */
export function verifyWebhookSignature(secret: string, header: string | undefined, body: string | Uint8Array, options: VerifyOptions = {}): boolean {
  if (typeof header !== 'string' || header.length > MAX_HEADER_LENGTH || secret === '') return false;
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value = ''] = part.trim().split('=', 2) as [string, string | undefined];
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  if (Math.abs(nowSeconds - timestamp) > tolerance) return false;
  const expected = mac(secret, timestamp, body);
  // Check every candidate so the time taken does not depend on which one matched.
  let valid = false;
  for (const candidate of signatures) valid = timingSafeEqual(candidate, expected) || valid;
  return valid;
}

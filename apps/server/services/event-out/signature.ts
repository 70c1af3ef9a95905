/**
 * Webhook signatures: HMAC-SHA256 with the administrator's secret over `<timestamp>.<body>`, sent as
 * `X-ArcFace-Timestamp: <unix seconds>` and `X-ArcFace-Signature: sha256=<hex>`. The timestamp is
 * inside the signed text, so a receiver that also refuses old timestamps refuses replays.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of a signed delivery. */
export const WEBHOOK_HEADERS = Object.freeze({
  timestamp: 'x-arcface-timestamp',
  signature: 'x-arcface-signature',
  delivery: 'x-arcface-delivery',
  event: 'x-arcface-event',
});

/**
 * Oldest timestamp {@link verifyWebhook} accepts, seconds: 5 minutes, the tolerance Stripe's and
 * Slack's webhook verifiers use by default.
 */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * The signature header's value for `body` sent at `timestamp` (unix seconds).
 *
 * @example
 * signWebhook('s3cret', 1765000000, '{"type":"track.identified"}') // 'sha256=9f…'
 */
export function signWebhook(secret: string | Buffer, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Whether a delivery is authentic: the signature matches (compared in constant time) and the
 * timestamp is within `toleranceSeconds` of `now` (unix seconds).
 *
 * @example
 * verifyWebhook(secret, { timestamp: req.headers['x-arcface-timestamp'], signature: req.headers['x-arcface-signature'] }, rawBody)
 */
export function verifyWebhook(
  secret: string | Buffer,
  headers: { readonly timestamp: string | undefined; readonly signature: string | undefined },
  body: string,
  options: { readonly now?: number; readonly toleranceSeconds?: number } = {},
): boolean {
  if (headers.timestamp === undefined || headers.signature === undefined || !/^\d{1,12}$/.test(headers.timestamp)) return false;
  const timestamp = Number(headers.timestamp);
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

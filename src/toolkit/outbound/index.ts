// SSRF-safe outbound requests: the client, the address policy it applies, and helpers to
// check responses before use.
export { createOutboundClient } from './client.ts';
export type { OutboundClient, OutboundClientOptions, OutboundRequest, OutboundResponse } from './client.ts';
export { checkAddress, isLoopbackAddress } from './address-policy.ts';
export type { AddressVerdict } from './address-policy.ts';
export { checkUrl, isLocalName, DEFAULT_OUTBOUND_PORTS } from './url-policy.ts';
export type { UrlPolicy } from './url-policy.ts';
export { systemResolver, socketConnector } from './connect.ts';
export type { Resolver, Connector, ConnectTarget, ResolvedAddress } from './connect.ts';
export { OutboundError, OutboundRefused } from './errors.ts';
export type { OutboundRefusalReason, OutboundFailureCode } from './errors.ts';
export { expectContentType, mediaType, readJson } from './response.ts';
export { IPV4_REFUSED, IPV6_REFUSED } from './ranges.ts';
export type { Range } from './ranges.ts';
export { signWebhook, verifyWebhookSignature, generateWebhookSecret, WEBHOOK_SIGNATURE_HEADER } from './webhook-signature.ts';
export type { VerifyOptions as WebhookVerifyOptions } from './webhook-signature.ts';

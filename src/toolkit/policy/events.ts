// How toolkit layers report security events (rate-limit refusals, enumeration) without
// depending on where events are stored: the application passes a reporter to createServer.
export interface ToolkitSecurityEvent {
  type: 'object_enumeration' | 'rate_limited' | 'access_denied' | 'rate_limit_degraded';
  principalId: string | null;
  clientIp: string | null;
  detail?: Record<string, string | number | boolean | null>;
}

export type SecurityEventReporter = (event: ToolkitSecurityEvent) => void;

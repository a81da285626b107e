// The finding model: what every check reports, and what every report format (text, JSON, and
// later SARIF/HTML/JUnit) reads. A finding is a proven flaw: its evidence holds the exchanges
// that prove it, so a reader can replay them.
import { createHash } from 'node:crypto';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CONFIDENCES = ['tentative', 'firm', 'confirmed'] as const;
export type Confidence = (typeof CONFIDENCES)[number];

/** OWASP API Security Top 10 (2023) category, e.g. `API8:2023`. */
export type OwaspCategory = `API${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10}:2023`;

/**
 * Where a finding applies. `development-only` marks an exposure that is expected while
 * developing (open docs) and must not reach production.
 */
export type FindingContext = 'development-only';

export interface EvidenceRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  bodyExcerpt?: string;
}

export interface EvidenceResponse {
  status: number;
  headers: Record<string, string>;
  bodyExcerpt: string;
}

/** One request and the answer it got (absent when the request got no usable answer). */
export interface Exchange {
  /** What this exchange shows, e.g. "control: random value". */
  label: string;
  request: EvidenceRequest;
  response?: EvidenceResponse;
  /** Response headers that carry the proof (reports show these first; all are kept). */
  highlight?: string[];
}

export interface Evidence {
  /** The proof in one or two sentences: why these exchanges demonstrate the flaw. */
  summary: string;
  exchanges: Exchange[];
}

/** A route as the report names it: method and path template relative to the target base. */
export interface Location {
  method: string;
  route: string;
  parameter?: string;
}

export interface Finding {
  /** Stable rule id, `<check>.<rule>`, e.g. `cors.any-origin-credentials`. */
  id: string;
  check: string;
  title: string;
  severity: Severity;
  confidence: Confidence;
  owasp: OwaspCategory;
  cwe: number;
  /** The primary location; `route: '*'` for a finding about the whole target. */
  location: Location;
  /** Every route where the same flaw was proven (the primary one first). */
  affected: Location[];
  evidence: Evidence;
  fix: string;
  /** sha256 of rule id, method, route template and parameter: stable across runs and hosts. */
  fingerprint: string;
  /** The audited base URL. */
  target: string;
  context?: FindingContext;
}

export type FindingInput = Omit<Finding, 'fingerprint' | 'target' | 'check' | 'affected'> & {
  affected?: Location[];
};

export function fingerprintOf(id: string, location: Location): string {
  return createHash('sha256')
    .update([id, location.method, location.route, location.parameter ?? ''].join('\n'))
    .digest('hex');
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function confidenceRank(confidence: Confidence): number {
  return CONFIDENCES.indexOf(confidence);
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** Most severe first, then most confident, then by rule and route for a stable order. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    confidenceRank(b.confidence) - confidenceRank(a.confidence) ||
    a.id.localeCompare(b.id) ||
    a.location.route.localeCompare(b.location.route) ||
    a.location.method.localeCompare(b.location.method)
  );
}

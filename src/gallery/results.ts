import type { ThresholdChoice } from './threshold-policy.js';
import type { IdentityRecord, NewTemplate, TemplateRecord } from './stores/store.js';

/** One ranked candidate of an identification. */
export interface Candidate {
  readonly id: string;
  readonly name: string;
  /** Cosine to the identity's best trusted sub-centre. */
  readonly score: number;
  /** Index of that sub-centre (0 is dominant). */
  readonly subCenter: number;
}

/** The answer to "who is this?". */
export interface IdentifyResult {
  /** `known` when the best candidate scores at or above the threshold. */
  readonly decision: 'known' | 'unknown';
  readonly threshold: number;
  /** Where `threshold` came from (caller, FPIR policy over the gallery's size, or the 1:1 threshold) and why. */
  readonly thresholdChoice: ThresholdChoice;
  /** Best first; reported even when the decision is `unknown`. */
  readonly candidates: readonly Candidate[];
}

/** The answer to "is this `id`?". */
export interface VerifyResult {
  readonly id: string;
  readonly score: number;
  readonly subCenter: number;
  readonly threshold: number;
  readonly match: boolean;
}

/** A template flagged by {@link Gallery.audit}. */
export interface AuditFinding {
  readonly id: string;
  readonly templateId: number;
  readonly sourceFile: string | null;
  /** Cosine to the identity's dominant sub-centre. */
  readonly score: number;
  readonly subCenter: number;
  readonly templateCount: number;
}

/** An identity with its templates (no embeddings) and sub-centres. */
export interface IdentityDetails extends IdentityRecord {
  readonly templates: readonly (Omit<TemplateRecord, 'embedding'> & { readonly subCenter: number })[];
  readonly subCenters: readonly { readonly size: number; readonly dominant: boolean; readonly trusted: boolean }[];
}

/** Templates to enrol: bare unit embeddings, or embeddings with their source. */
export type EnrollInput = readonly Float32Array[] | readonly NewTemplate[];

/** What an enrolment did with one template given: the template holding its photo, and whether that photo was known before. */
export interface EnrolledTemplate {
  /** The template written now, or the one that held the photo already (null: removed meanwhile). */
  readonly templateId: number | null;
  /** The identity held this photo already (or an earlier template of the same call did): nothing was written. */
  readonly known: boolean;
}

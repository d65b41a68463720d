import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes for the Temporal UI and CLI. The API's listings read the ledger instead:
 * visibility is eventually consistent and, on the dev server's SQLite, unordered and rate-limited.
 */
export const ExceptionStatus = defineSearchAttributeKey('ExceptionStatus', SearchAttributeType.KEYWORD);
export const ExceptionCapability = defineSearchAttributeKey('ExceptionCapability', SearchAttributeType.KEYWORD);
export const ExceptionRegion = defineSearchAttributeKey('ExceptionRegion', SearchAttributeType.KEYWORD);
export const ExceptionOwner = defineSearchAttributeKey('ExceptionOwner', SearchAttributeType.KEYWORD);
export const ExceptionClaimant = defineSearchAttributeKey('ExceptionClaimant', SearchAttributeType.KEYWORD);
export const ExceptionSeverity = defineSearchAttributeKey('ExceptionSeverity', SearchAttributeType.KEYWORD);
export const ExceptionEscalationLevel = defineSearchAttributeKey('ExceptionEscalationLevel', SearchAttributeType.INT);

export const allSearchAttributes = [
  ExceptionStatus,
  ExceptionCapability,
  ExceptionRegion,
  ExceptionOwner,
  ExceptionClaimant,
  ExceptionSeverity,
  ExceptionEscalationLevel,
];

/**
 * Stage keys of the default pipeline the first migration seeds (pipelines and stages are data since
 * then: see pipelines/pipelines.service.ts). Kept because these keys are what older clients send.
 */
export const DEAL_STAGES = ['new', 'first_contact', 'qualified', 'proposal', 'won', 'lost'] as const;
export type DealStage = (typeof DEAL_STAGES)[number];

/** open: the deal is being worked on; won and lost close it (lost needs a reason). */
export const STAGE_KINDS = ['open', 'won', 'lost'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];
export const isClosingKind = (kind: string): boolean => kind === 'won' || kind === 'lost';

/** Stage keys: lowercase letters, digits and underscores, starting with a letter. */
export const STAGE_KEY_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;

/** A stage rule's due time in minutes of business time. */
export const dueMinutes = (dueIn: number, unit: 'minutes' | 'hours'): number => (unit === 'hours' ? dueIn * 60 : dueIn);

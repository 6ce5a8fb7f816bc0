/** The default sales pipeline. Won and lost close a deal. */
export const DEAL_STAGES = ['new', 'first_contact', 'qualified', 'proposal', 'won', 'lost'] as const;
export type DealStage = (typeof DEAL_STAGES)[number];
export const CLOSED_STAGES: readonly DealStage[] = ['won', 'lost'];
export const isClosedStage = (stage: string): boolean => (CLOSED_STAGES as readonly string[]).includes(stage);
export const isDealStage = (stage: string): stage is DealStage => (DEAL_STAGES as readonly string[]).includes(stage);

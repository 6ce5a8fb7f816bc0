/**
 * The contacts query module: the row shapes the contact reads select (list, card, timeline). Timestamps
 * come back as Date from node-postgres and PGlite alike, as text when built inside JSON.
 */

/** A contact as the list and the card select it; `identities` is json_agg (text on some drivers). */
export interface ContactSummaryRow {
  id: string;
  name: string | null;
  aliases: string[] | null;
  owner_id: string | null;
  last_activity_at: Date | string;
  created_at: Date | string;
  identities: Array<{ kind: string; value: string }> | string;
}

/** A list row carries its sort key as text, for the next page's cursor. */
export interface ContactListRow extends ContactSummaryRow {
  sort_key: string;
}

/** The contact card adds the company (json_build_object; text on some drivers). */
export interface ContactCardRow extends ContactSummaryRow {
  company: { id: string; name: string } | string | null;
}

/** A deal on the contact card, aliased to the API's names by the SELECT. */
export interface ContactDealRow {
  id: string;
  title: string | null;
  stage: string;
  stageId: string;
  stageName: string;
  pipelineId: string;
  ownerId: string | null;
  sourceChannel: string;
  source: Record<string, unknown>;
  amount: string | null;
  currency: string | null;
  lostReason: string | null;
  firstResponseAt: Date | string | null;
  closedAt: Date | string | null;
  mergedIntoDealId: string | null;
  createdAt: Date | string;
}

/** An `activity` row as the timelines read it. */
export interface ActivityRow {
  id: string;
  kind: string;
  channel: string | null;
  deal_id: string | null;
  actor_id: string | null;
  occurred_at: Date | string;
  payload: Record<string, unknown>;
}

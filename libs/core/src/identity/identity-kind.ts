/** Kinds core itself reads and normalises: a phone (E.164) and an email (lowercased). */
export type CoreIdentityKind = 'phone' | 'email';

/**
 * A kind owned by a channel ('telegram', 'vk', 'instagram'): a lowercase token (IDENTITY_KIND_FORMAT,
 * also the database's check). Core matches its value exactly and never interprets it.
 */
export type ChannelIdentityKind = string;

/** `string & {}` keeps 'phone' and 'email' visible to editors while any channel kind is allowed. */
export type IdentityKind = CoreIdentityKind | (ChannelIdentityKind & {});

/** The format of every identity kind; the same pattern is the CHECK on contact_identity.kind. */
export const IDENTITY_KIND_FORMAT = /^[a-z][a-z0-9_]{0,31}$/;

/** Longest channel identity value kept (ids and handles of every messenger we know are far shorter). */
export const IDENTITY_VALUE_MAX = 256;

export interface IdentityKey {
  kind: IdentityKind;
  value: string;
}

export const identityKeyString = (k: IdentityKey): string => `${k.kind}:${k.value}`;

export function isCoreIdentityKind(kind: string): kind is CoreIdentityKind {
  return kind === 'phone' || kind === 'email';
}

export function isIdentityKind(kind: unknown): kind is IdentityKind {
  return typeof kind === 'string' && IDENTITY_KIND_FORMAT.test(kind);
}

/** A channel identity's value as core keeps it: as given, trimmed; null when empty or too long to be an id. */
export function channelIdentityValue(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') return null;
  const v = String(value).trim();
  return v && v.length <= IDENTITY_VALUE_MAX ? v : null;
}

export type IdentityKind = 'phone' | 'email' | 'telegram';

export interface IdentityKey {
  kind: IdentityKind;
  value: string;
}

export const identityKeyString = (k: IdentityKey): string => `${k.kind}:${k.value}`;

import { useEffect, useMemo, useState } from 'react';
import { api, type ChannelAvailability, type ReplyChannelOption } from '../api';
import { useI18n, type Lang } from '../i18n';

let cached: Promise<ChannelAvailability[]> | null = null;

/** What this hub's channels are and can do (GET /api/channels), fetched once per page load. Empty until known. */
export function useChannels(): ChannelAvailability[] | null {
  const [list, setList] = useState<ChannelAvailability[] | null>(null);
  useEffect(() => {
    let live = true;
    cached ??= api<ChannelAvailability[]>('/api/channels').catch((err) => {
      cached = null;
      throw err;
    });
    cached.then(
      (l) => live && setList(l),
      () => live && setList([]),
    );
    return () => {
      live = false;
    };
  }, []);
  return list;
}

/**
 * The admin UI's only knowledge of channels: names, icons and what they do come from the hub's
 * registry. A name the hub does not list (an old entry of a channel since removed, or the list not
 * loaded yet) still reads sensibly.
 */
export interface ChannelCatalogue {
  /** Registered channels in the hub's order (empty until loaded). */
  list: ChannelAvailability[];
  label(key: string): string;
  iconKey(key: string): string;
  /** The channel that owns an identity kind (phone → 'phone'), else the kind itself. */
  ofIdentity(kind: string): string;
}

export function catalogue(list: ChannelAvailability[] | null, lang: Lang): ChannelCatalogue {
  const byKey = new Map((list ?? []).map((c) => [c.key, c]));
  return {
    list: list ?? [],
    label: (key) => byKey.get(key)?.label[lang] ?? fallbackLabel(key),
    iconKey: (key) => byKey.get(key)?.iconKey ?? key,
    ofIdentity: (kind) => (list ?? []).find((c) => c.identityKinds.includes(kind))?.key ?? kind,
  };
}

export function useChannelCatalogue(): ChannelCatalogue {
  const list = useChannels();
  const { lang } = useI18n();
  return useMemo(() => catalogue(list, lang), [list, lang]);
}

/** "web_form" → "Web form". */
export function fallbackLabel(key: string): string {
  const words = key.replace(/[_-]+/g, ' ').trim();
  return words ? words[0].toUpperCase() + words.slice(1) : key;
}

export function canCall(channels: ChannelAvailability[] | null): boolean {
  return !!channels?.some((c) => c.capabilities.calls && c.calls);
}

/** Channels leads arrive through (source filters). */
export function inboundChannels(channels: ChannelAvailability[] | null): string[] {
  return (channels ?? []).filter((c) => c.capabilities.inbound).map((c) => c.key);
}

/** The channel keys of a contact's identities, once each, in the hub's channel order (the contacts list's icons). */
export function channelsOfIdentities(cat: ChannelCatalogue, kinds: string[]): string[] {
  const owned = new Set(kinds.map((k) => cat.ofIdentity(k)));
  const known = cat.list.map((c) => c.key).filter((k) => owned.has(k));
  return [...known, ...[...owned].filter((k) => !known.includes(k))];
}

/**
 * What the composer offers: channels switched on here that can take a message to this contact now,
 * in the hub's preference order; and those that cannot now (a closed reply window) with the reason.
 */
export function replyChoices(channels: ChannelAvailability[] | null, options: ReplyChannelOption[]): { usable: string[]; refused: ReplyChannelOption[] } {
  const sends = new Set((channels ?? []).filter((c) => c.sends).map((c) => c.key));
  const on = options.filter((o) => sends.has(o.channel));
  return { usable: on.filter((o) => o.ok).map((o) => o.channel), refused: on.filter((o) => !o.ok) };
}

/** A template's text with its numbered placeholders ({{1}}) filled; an empty value leaves its placeholder. */
export function renderTemplate(text: string, params: string[]): string {
  return text.replace(/\{\{(\d+)\}\}/g, (whole, n: string) => (params[Number(n) - 1]?.trim() ? params[Number(n) - 1] : whole));
}

import { useEffect, useState } from 'react';
import { api, type ChannelAvailability } from '../api';

let cached: Promise<ChannelAvailability[]> | null = null;

/** What this hub's channels can do (GET /api/channels), fetched once per page load. Empty until known. */
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

export function canCall(channels: ChannelAvailability[] | null): boolean {
  return !!channels?.find((c) => c.key === 'phone')?.calls;
}

/** Channels a manager can write to this contact through: switched on here, and the contact has an address there. */
export function replyChannels(channels: ChannelAvailability[] | null, identityKinds: string[]): Array<'email' | 'telegram'> {
  const kinds = new Set(identityKinds);
  return (['telegram', 'email'] as const).filter((k) => kinds.has(k) && !!channels?.find((c) => c.key === k)?.sends);
}

import { createContext, useContext } from 'react';
import type { Manager, User } from './api';

export interface Session {
  user: User;
  /** Everyone's names (admins only; managers get an empty list from the hub's rules). */
  managers: Manager[];
  managerName: (id: string | null) => string | null;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a logged-in app');
  return s;
}

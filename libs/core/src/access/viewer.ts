import type { ManagerRole } from '../entities';

/** Who is asking. Admins see everything; managers see only their own contacts, deals and tasks. */
export interface Viewer {
  id: string;
  name: string;
  role: ManagerRole;
}

export const isAdmin = (v: Viewer): boolean => v.role === 'admin';

import type { ManagerRole } from '../entities';

/** Who is asking. Admins see everything; managers see only their own contacts, deals and tasks. */
export interface Viewer {
  id: string;
  name: string;
  role: ManagerRole;
}

export const isAdmin = (v: Viewer): boolean => v.role === 'admin';

/**
 * SQL condition on a contact row (`alias`) that the viewer may see: admins everything, a manager the
 * contacts they own or where they own a deal. Pushes its parameter.
 */
export function contactScopeSql(viewer: Viewer, params: unknown[], alias = 'c'): string {
  if (isAdmin(viewer)) return 'TRUE';
  params.push(viewer.id);
  const p = `$${params.length}`;
  return `(${alias}.owner_id = ${p} OR EXISTS (SELECT 1 FROM deal d WHERE d.contact_id = ${alias}.id AND d.owner_id = ${p}))`;
}

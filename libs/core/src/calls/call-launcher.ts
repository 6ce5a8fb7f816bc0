import type { Viewer } from '../access/viewer';

/**
 * Click-to-call: rings the viewer's own phone, then connects the contact. Provided by the telephony
 * channel when it is configured; callers inject it optionally and fall back to a tel: link.
 */
export interface CallLauncher {
  start(viewer: Viewer, contactId: string): Promise<{ callId: string; status: string }>;
}

export const CALL_LAUNCHER = Symbol('CALL_LAUNCHER');

/**
 * PostgreSQL notifications (LISTEN/NOTIFY) as the hub receives them: on PostgreSQL over one
 * dedicated listening connection per process, on embedded PGlite in process. A NOTIFY issued inside
 * a transaction (directly or by a trigger) is delivered only when that transaction commits, and not
 * at all when it rolls back, so a listener is told about work exactly when it becomes visible.
 *
 * Notifications are a wake-up, never the only way work is found: one sent while the listening
 * connection was down is lost, so every user keeps a slower poll (and `onConnected` lets it catch up
 * at once after a reconnect).
 */
export abstract class DatabaseNotifications {
  /** Calls `listener` with the payload of every notification on `channel`. Returns the unsubscribe function. */
  abstract listen(channel: string, listener: (payload: string) => void): () => void;

  /** Calls `listener` every time listening (re)starts; anything notified while it was down was missed. */
  abstract onConnected(listener: () => void): () => void;

  /** True while notifications are being received. */
  abstract get live(): boolean;
}

/** NOTIFY channel of the outbox: a trigger announces rows that became pending (migration 1764000600000). */
export const OUTBOX_CHANNEL = 'leadline_outbox';

/** NOTIFY channel of the inbox lists: a trigger announces writes they show (migration 1764200100000). */
export const INBOX_CHANNEL = 'leadline_inbox';

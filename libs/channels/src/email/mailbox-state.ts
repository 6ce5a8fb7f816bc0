import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Progress per mailbox folder: (UIDVALIDITY, last UID taken). Moves only after a message's intake committed. */
@Injectable()
export class MailboxState {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The last UID taken under this UIDVALIDITY. A new UIDVALIDITY (folder rebuilt, server migrated)
   * starts again from 0: the rescan is safe because receipts dedupe by Message-ID.
   */
  async start(mailboxId: string, folder: string, uidValidity: number): Promise<{ lastUid: number; reset: boolean; previousUidValidity: number | null }> {
    const [row] = await this.db.query(`SELECT uid_validity, last_uid FROM mailbox_state WHERE mailbox_id = $1 AND folder = $2`, [mailboxId, folder]);
    if (row && Number(row.uid_validity) === uidValidity) return { lastUid: Number(row.last_uid), reset: false, previousUidValidity: uidValidity };
    await this.db.query(
      `INSERT INTO mailbox_state (mailbox_id, folder, uid_validity, last_uid) VALUES ($1, $2, $3, 0)
       ON CONFLICT (mailbox_id, folder) DO UPDATE SET uid_validity = EXCLUDED.uid_validity, last_uid = 0, updated_at = now()`,
      [mailboxId, folder, uidValidity],
    );
    return { lastUid: 0, reset: !!row, previousUidValidity: row ? Number(row.uid_validity) : null };
  }

  async advance(mailboxId: string, folder: string, uidValidity: number, uid: number): Promise<void> {
    await this.db.query(
      `UPDATE mailbox_state SET last_uid = GREATEST(last_uid, $4), updated_at = now() WHERE mailbox_id = $1 AND folder = $2 AND uid_validity = $3`,
      [mailboxId, folder, uidValidity, uid],
    );
  }
}

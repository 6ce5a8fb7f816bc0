import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError } from '../errors/domain-error';
import type { IngestFailure, IngestResult } from '../intake/inbound-event';
import { IntakeService } from '../intake/intake.service';
import { clampLimit } from '../pagination/cursor';
import { InboundReplayRegistry } from './inbound-replay.registry';
import { parseRawPayload } from './raw-payload';
import { queryRow, queryRows } from '../database/query-rows';
// The wire shape is defined once, in libs/contracts: the view this service returns is that type.
import type * as Wire from '@leadline/contracts';

export type FailedReceiptView = Wire.FailedReceipt;

/** Failed inbound payloads: listed for admins and replayed once the bug is fixed. */
@Injectable()
export class ReceiptsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly intake: IntakeService,
    private readonly registry: InboundReplayRegistry,
  ) {}

  async listFailed(limit?: number): Promise<FailedReceiptView[]> {
    const rows = await queryRows<{ id: string; channel: string; external_id: string; error: string | null; attempts: number; received_at: string; raw: string | null }>(
      this.db,
      `SELECT id, channel, external_id, error, attempts, received_at, raw FROM inbound_receipt
        WHERE status = 'failed' ORDER BY received_at DESC LIMIT $1`,
      [clampLimit(limit, 500, 100)],
    );
    return rows.map((r) => ({
      id: r.id,
      channel: r.channel,
      externalId: r.external_id,
      error: r.error,
      attempts: r.attempts,
      receivedAt: new Date(r.received_at).toISOString(),
      raw: parseRawPayload(r.raw),
    }));
  }

  async replay(id: string): Promise<IngestResult | IngestFailure> {
    const row = await queryRow<{ id: string; channel: string; external_id: string; status: string; raw: string | null }>(
      this.db,
      `SELECT id, channel, external_id, status, raw FROM inbound_receipt WHERE id = $1`,
      [id],
    );
    if (!row) throw DomainError.notFound('receipt');
    if (row.status !== 'failed') throw DomainError.conflict('receipt was already processed');
    const remap = this.registry.get(row.channel);
    if (!remap) throw DomainError.conflict(`no mapper registered for channel ${row.channel}`);
    const raw = parseRawPayload(row.raw);
    let event;
    try {
      event = await remap(raw);
    } catch (err) {
      return this.intake.recordFailure(row.channel, row.external_id, raw, err);
    }
    // The stored receipt is keyed by its original external id; the replay must land on it.
    return this.intake.ingest({ ...event, externalId: row.external_id }, raw);
  }
}

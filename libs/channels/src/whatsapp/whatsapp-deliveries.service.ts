import { DeliveryStatusService, IntakeService, isIngestFailure, type InboundEvent } from '@leadline/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { WaInboundMessage } from './whatsapp-payload';
import { mapWhatsAppStatus } from './whatsapp-status.mapper';
import { mapWhatsAppMessage, splitWhatsAppDelivery } from './whatsapp.mapper';
import { WHATSAPP_CHANNEL, WHATSAPP_OPTIONS, type WhatsAppOptions } from './whatsapp.options';

export interface DeliveryOutcome {
  /** New leads and messages stored. */
  stored: number;
  /** Messages seen before (Meta redelivers until it gets a quick 200). */
  duplicates: number;
  /** Messages our code failed on, kept as failed receipts for replay. */
  failed: number;
  /** Status updates (sent/delivered/read/failed) that moved or dated one of our messages. */
  statuses: number;
  /** Status updates already applied (Meta redelivers) or too late to change anything. */
  staleStatuses: number;
  ignored: number;
}

/**
 * One verified delivery: every client message of every entry and change goes through intake on its
 * own (idempotent on the wamid). Throws only when the database is unreachable, so the controller
 * answers 503 and Meta delivers again; anything else is kept and the delivery acknowledged.
 */
@Injectable()
export class WhatsAppDeliveriesService {
  private readonly log = new Logger('WhatsApp');

  constructor(
    private readonly intake: IntakeService,
    private readonly deliveryStatus: DeliveryStatusService,
    @Inject(WHATSAPP_OPTIONS) private readonly options: WhatsAppOptions,
  ) {}

  async process(payload: unknown): Promise<DeliveryOutcome> {
    const split = splitWhatsAppDelivery(payload);
    const outcome: DeliveryOutcome = { stored: 0, duplicates: 0, failed: 0, statuses: 0, staleStatuses: 0, ignored: 0 };
    if (split.unreadable) {
      // Signed by Meta yet not a WhatsApp delivery: kept (visible to admins) rather than dropped.
      await this.intake.recordFailure(WHATSAPP_CHANNEL, `delivery:${sha256(JSON.stringify(payload ?? null))}`, payload, new Error(split.unreadable));
      outcome.failed++;
      return outcome;
    }
    if (split.errors.length) this.log.warn({ msg: 'whatsapp delivery reports errors', errors: split.errors.map((e) => ({ code: e.code ?? null, title: e.title ?? e.message ?? null })) });
    if (split.skipped.length) this.log.debug({ msg: 'whatsapp delivery parts skipped', skipped: split.skipped });
    for (const unit of split.messages) {
      if (this.options.phoneNumberIds.length && !this.options.phoneNumberIds.includes(unit.phoneNumberId)) {
        // Another number of the same Meta app (another hub or a test number): not ours to store.
        this.log.warn({ msg: 'whatsapp message for a number this hub does not serve, acknowledged', phoneNumberId: unit.phoneNumberId });
        outcome.ignored++;
        continue;
      }
      const result = await this.ingest(unit);
      outcome[result]++;
    }
    for (const status of split.statuses) {
      const update = mapWhatsAppStatus(status);
      if (!update) {
        outcome.ignored++;
        continue;
      }
      // Messages another tool sent from the number (the WhatsApp Business app) are not on our timeline: 'unknown'.
      const applied = await this.deliveryStatus.apply(update);
      if (applied === 'applied' || applied === 'recorded') outcome.statuses++;
      else if (applied === 'duplicate') outcome.staleStatuses++;
      else outcome.ignored++;
    }
    return outcome;
  }

  private async ingest(unit: WaInboundMessage): Promise<'stored' | 'duplicates' | 'failed' | 'ignored'> {
    const externalId = externalIdOf(unit);
    let event: InboundEvent | null;
    try {
      event = mapWhatsAppMessage(unit, this.options.numberPipelines);
    } catch (err) {
      await this.intake.recordFailure(WHATSAPP_CHANNEL, externalId, unit, err);
      return 'failed';
    }
    if (!event) return 'ignored';
    const result = await this.intake.ingest(event, unit);
    if (isIngestFailure(result)) return 'failed';
    this.log.log({ msg: 'whatsapp message', externalId, type: unit.message.type, outcome: result.duplicate ? 'duplicate' : result.repeatLead ? 'message' : 'lead', contactId: result.contactId, dealId: result.dealId });
    return result.duplicate ? 'duplicates' : 'stored';
  }
}

/** The wamid; a message without one (malformed) is keyed by its content so a redelivery lands on the same failed receipt. */
function externalIdOf(unit: WaInboundMessage): string {
  const id = unit.message?.id;
  if (typeof id === 'string' && id) return id;
  return `sha256:${sha256(JSON.stringify(unit))}`;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

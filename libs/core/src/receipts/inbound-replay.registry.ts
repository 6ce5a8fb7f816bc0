import { Injectable } from '@nestjs/common';
import type { InboundEvent } from '../intake/inbound-event';

/** Turns a stored raw payload back into an event, with the channel's current (possibly fixed) mapper. */
export type InboundRemapper = (raw: unknown) => InboundEvent | Promise<InboundEvent>;

/** Channels register their mapper here so failed receipts can be replayed after a fix. */
@Injectable()
export class InboundReplayRegistry {
  private readonly mappers = new Map<string, InboundRemapper>();

  register(channel: string, mapper: InboundRemapper): void {
    this.mappers.set(channel, mapper);
  }

  get(channel: string): InboundRemapper | undefined {
    return this.mappers.get(channel);
  }
}

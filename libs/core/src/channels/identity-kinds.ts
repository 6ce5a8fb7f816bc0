import { Injectable } from '@nestjs/common';
import { IDENTITY_KIND_FORMAT, isCoreIdentityKind } from '../identity/identity-kind';

/** An identity kind a channel owns ('telegram': value = the Telegram user id). */
export interface ChannelIdentityKindInfo {
  kind: string;
  /** The channel it belongs to (usually the same token). */
  channel: string;
}

/**
 * The identity kinds channels own, in registration order. Intake stores any well-formed kind (an
 * identity outlives its channel being switched off); this list is what the contacts export gives a
 * column of its own, named after the kind.
 */
@Injectable()
export class IdentityKindRegistry {
  private readonly kinds = new Map<string, ChannelIdentityKindInfo>();

  register(info: ChannelIdentityKindInfo): void {
    if (!IDENTITY_KIND_FORMAT.test(info.kind) || isCoreIdentityKind(info.kind)) {
      throw new Error(`identity kind ${JSON.stringify(info.kind)} must be a lowercase token other than phone and email`);
    }
    this.kinds.set(info.kind, info);
  }

  list(): ChannelIdentityKindInfo[] {
    return [...this.kinds.values()];
  }
}

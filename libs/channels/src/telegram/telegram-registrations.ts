import { IdentityKindRegistry, ManagerBindingRegistry } from '@leadline/core';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { TelegramManagerBindings } from './telegram-manager-bindings';
import { TELEGRAM_IDENTITY } from './telegram.mapper';

/**
 * What Telegram tells core about itself, configured or not: it owns the 'telegram' identity kind (the
 * contacts export keeps its column) and the managers' bindings (one bound earlier still shows).
 */
@Injectable()
export class TelegramRegistrations implements OnModuleInit {
  constructor(
    private readonly identityKinds: IdentityKindRegistry,
    private readonly managerBindings: ManagerBindingRegistry,
    private readonly bindings: TelegramManagerBindings,
  ) {}

  onModuleInit(): void {
    this.identityKinds.register({ kind: TELEGRAM_IDENTITY, channel: 'telegram' });
    this.managerBindings.register(this.bindings);
  }
}

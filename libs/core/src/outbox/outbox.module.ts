import { Global, Module, type DynamicModule } from '@nestjs/common';
import { MessageDelivery } from '../conversations/message-delivery';
import { NoticeRelayRegistry } from '../notifications/notice-relay';
import { OutboxHandlerRegistry } from './outbox-handler';
import { DEFAULT_OUTBOX_OPTIONS, OUTBOX_OPTIONS, type OutboxOptions } from './outbox-options';
import { OutboxWorker } from './outbox.worker';

/**
 * The outbox worker, the handler registry channels add their kinds to, and the delivery of managers'
 * messages through the registered channels. Needs CoreModule (Clock, ChannelRegistry) and a DataSource.
 */
@Global()
@Module({})
export class OutboxModule {
  static forRoot(options: Partial<OutboxOptions> = {}): DynamicModule {
    return {
      module: OutboxModule,
      providers: [{ provide: OUTBOX_OPTIONS, useValue: { ...DEFAULT_OUTBOX_OPTIONS, ...options } }, OutboxHandlerRegistry, OutboxWorker, NoticeRelayRegistry, MessageDelivery],
      exports: [OutboxHandlerRegistry, OutboxWorker, NoticeRelayRegistry],
    };
  }
}

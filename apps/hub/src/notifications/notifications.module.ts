import { DatabaseNotifications } from '@leadline/core';
import { Module, type DynamicModule } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EventsController } from '../api/events.controller';
import { NotificationsController } from '../api/notifications.controller';
import type { HubConfig } from '../config/config.schema';
import { EventStreams } from './event-streams';
import { InAppNotifier } from './in-app-notifier';
import { InboxChangeRelay } from './inbox-change-relay';
import { LocalNotificationBus, NotificationBus, PgNotificationBus } from './notification-bus';
import { NotificationsService } from './notifications.service';

/** In-app notifications: the outbox handlers that store them, the list API and the live event stream. */
@Module({})
export class NotificationsModule {
  static forRoot(config: Pick<HubConfig, 'DATABASE_URL'>): DynamicModule {
    return {
      module: NotificationsModule,
      controllers: [NotificationsController, EventsController],
      providers: [
        {
          provide: NotificationBus,
          inject: [getDataSourceToken(), DatabaseNotifications],
          useFactory: (db: DataSource, notifications: DatabaseNotifications) => (config.DATABASE_URL ? new PgNotificationBus(notifications, db) : new LocalNotificationBus()),
        },
        NotificationsService,
        InAppNotifier,
        InboxChangeRelay,
        EventStreams,
      ],
      exports: [NotificationsService, NotificationBus, EventStreams],
    };
  }
}

import { Global, Injectable, Module } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/**
 * Streams the file kept by a provider for one timeline entry. `details` is the activity's
 * `payload.details`; visibility was checked by the route before this is called.
 */
export interface ActivityMediaSource {
  stream(activityId: string, details: Record<string, unknown>, reply: FastifyReply): Promise<FastifyReply>;
}

/**
 * GET /api/activities/:id/media is one route for every channel that keeps client files at its
 * provider; channels other than Telegram (which owns the route today) register their source here,
 * keyed by the activity's channel. This is the `openMedia` hook of the planned channel plug-in contract.
 */
@Injectable()
export class ActivityMediaSources {
  private readonly sources = new Map<string, ActivityMediaSource>();

  register(channel: string, source: ActivityMediaSource): void {
    this.sources.set(channel, source);
  }

  get(channel: string): ActivityMediaSource | undefined {
    return this.sources.get(channel);
  }
}

@Global()
@Module({ providers: [ActivityMediaSources], exports: [ActivityMediaSources] })
export class ActivityMediaModule {}

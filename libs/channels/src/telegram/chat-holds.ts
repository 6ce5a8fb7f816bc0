/**
 * Chats a bot must leave alone for a while: Telegram answered a message to them with 429 and
 * `retry_after`. One per bot (BotHandle), keyed by chat, so a flood limit on one chat holds back
 * that chat only, on that bot only. Real time on purpose: this is the provider's clock.
 */
export class ChatHolds {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Ms this chat is still held for (0 = free to write). */
  heldFor(chatId: string): number {
    const until = this.until.get(chatId);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left > 0) return left;
    this.until.delete(chatId);
    return 0;
  }

  hold(chatId: string, ms: number): void {
    const now = this.now();
    this.until.set(chatId, Math.max(this.until.get(chatId) ?? 0, now + ms));
    // Entries end when their hold does; a sweep keeps a bot with many held chats from growing the map.
    if (this.until.size > 1000) for (const [k, v] of this.until) if (v <= now) this.until.delete(k);
  }

  get size(): number {
    return this.until.size;
  }
}

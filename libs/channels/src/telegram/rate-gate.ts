/**
 * Telegram's send limits, in process: about 30 messages a second per bot and 1 a second per chat.
 * `reserve` books the next free slot (so concurrent deliveries line up) and says how long to wait;
 * `pause` holds a chat back after a 429's retry_after. Real time on purpose: these are the
 * provider's clocks, not the business clock.
 */
export class RateGate {
  private readonly chatNext = new Map<string, number>();
  /** Booked global slots: time is cut into 1/perSecond slices and each slice carries one message. */
  private readonly slices = new Set<number>();

  constructor(
    private readonly perSecond = 30,
    private readonly perChatMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Ms to wait before sending to `chatId`, or null when that is more than `maxWaitMs` (nothing is booked then). */
  reserve(chatId: string, maxWaitMs: number): number | null {
    const now = this.now();
    const width = Math.ceil(1000 / this.perSecond);
    let slice = Math.ceil(Math.max(now, this.chatNext.get(chatId) ?? 0) / width);
    while (this.slices.has(slice)) slice++;
    const slot = Math.max(now, slice * width);
    if (slot - now > maxWaitMs) return null;
    this.slices.add(slice);
    this.chatNext.set(chatId, slot + this.perChatMs);
    if (this.slices.size > 1000 || this.chatNext.size > 10_000) this.sweep(now, width);
    return slot - now;
  }

  pause(chatId: string, seconds: number): void {
    this.chatNext.set(chatId, Math.max(this.chatNext.get(chatId) ?? 0, this.now() + seconds * 1000));
  }

  private sweep(now: number, width: number): void {
    for (const [k, v] of this.chatNext) if (v < now) this.chatNext.delete(k);
    for (const s of this.slices) if (s * width < now) this.slices.delete(s);
  }
}

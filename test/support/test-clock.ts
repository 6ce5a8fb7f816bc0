import { Clock } from '@leadline/core';

/** A clock tests can set and move. */
export class TestClock extends Clock {
  private current: Date | null = null;

  now(): Date {
    return this.current ? new Date(this.current) : new Date();
  }

  set(at: Date | string): void {
    this.current = new Date(at);
  }

  advanceMinutes(minutes: number): void {
    this.current = new Date(this.now().getTime() + minutes * 60_000);
  }

  useRealTime(): void {
    this.current = null;
  }
}

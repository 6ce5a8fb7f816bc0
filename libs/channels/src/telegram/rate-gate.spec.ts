import { RateGate } from './rate-gate';

describe('RateGate', () => {
  it('spaces messages to one chat a second apart and all messages 1/30 s apart', () => {
    let now = 1_000_000;
    const gate = new RateGate(30, 1000, () => now);
    const first = gate.reserve('a', 5000)!;
    expect(first).toBeLessThan(34);
    expect(gate.reserve('a', 5000)! - first).toBeGreaterThanOrEqual(1000);
    expect(gate.reserve('b', 5000)! - first).toBe(34);
    expect(gate.reserve('c', 5000)! - first).toBe(68);
    now += 2000;
    expect(gate.reserve('a', 5000)).toBeLessThan(100);
  });

  it('books nothing when the wait is over the limit, and holds a chat back after a 429', () => {
    let now = 0;
    const gate = new RateGate(30, 1000, () => now);
    gate.pause('a', 10);
    expect(gate.reserve('a', 5000)).toBeNull();
    expect(gate.reserve('b', 5000)).toBe(0);
    now = 10_000;
    expect(gate.reserve('a', 5000)).toBeLessThan(34);
  });

  it('keeps 100 chats within 30 messages in any second', () => {
    const gate = new RateGate(30, 1000, () => 0);
    const waits = Array.from({ length: 100 }, (_, i) => gate.reserve(`c${i}`, 60_000)!);
    for (let i = 30; i < waits.length; i++) expect(waits[i] - waits[i - 30]).toBeGreaterThanOrEqual(1000);
  });
});

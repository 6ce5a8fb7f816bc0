/** Units of a countdown in the UI language. */
export interface CountdownUnits {
  day: string;
  hour: string;
  minute: string;
}

/**
 * The time left (or past) as a manager reads it at a glance: "4:05" under an hour (minutes and seconds,
 * ticking), "2 h 5 min" under a day, "3 d 4 h" beyond. `ms` may be negative (overdue).
 */
export function formatCountdown(ms: number, units: CountdownUnits): { text: string; overdue: boolean } {
  const overdue = ms < 0;
  const total = Math.floor(Math.abs(ms) / 1000);
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  let text: string;
  if (days > 0) text = hours ? `${days} ${units.day} ${hours} ${units.hour}` : `${days} ${units.day}`;
  else if (hours > 0) text = minutes ? `${hours} ${units.hour} ${minutes} ${units.minute}` : `${hours} ${units.hour}`;
  else text = `${minutes}:${String(seconds).padStart(2, '0')}`;
  return { text, overdue };
}

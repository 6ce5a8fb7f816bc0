/** Preferences kept per browser: desktop notices (only after the user asked for them) and the chime. */
const DESKTOP_KEY = 'leadline.desktopNotices';
const SOUND_KEY = 'leadline.sound';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function desktopSupported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

export function desktopEnabled(): boolean {
  return desktopSupported() && Notification.permission === 'granted' && storage()?.getItem(DESKTOP_KEY) === 'on';
}

/** Asks the browser's permission (from a click: browsers ignore or punish requests on load). */
export async function enableDesktop(): Promise<NotificationPermission> {
  if (!desktopSupported()) return 'denied';
  const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
  if (permission === 'granted') storage()?.setItem(DESKTOP_KEY, 'on');
  return permission;
}

export function disableDesktop(): void {
  storage()?.setItem(DESKTOP_KEY, 'off');
}

/** The chime is on unless turned off. */
export function soundEnabled(): boolean {
  return storage()?.getItem(SOUND_KEY) !== 'off';
}

export function setSound(on: boolean): void {
  storage()?.setItem(SOUND_KEY, on ? 'on' : 'off');
}

/** Shows a desktop notice while the tab is not in front; a click brings the tab forward at `onClick`. */
export function showDesktop(title: string, body: string, tag: string, onClick: () => void): void {
  if (!desktopEnabled() || document.visibilityState === 'visible') return;
  try {
    const n = new Notification(title, { body, tag });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
  } catch {
    // Some browsers (Android Chrome) only allow notices from a service worker: the in-page list still has it.
  }
}

/** A short, quiet two-note chime for a new notice (no audio file: nothing to fetch, CSP stays strict). */
export function chime(): void {
  if (!soundEnabled()) return;
  try {
    const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Ctx) return;
    const ctx = new Ctx();
    const gain = ctx.createGain();
    gain.gain.value = 0.04;
    gain.connect(ctx.destination);
    [880, 1320].forEach((freq, i) => {
      const osc = ctx.createOscillator();
      osc.frequency.value = freq;
      osc.connect(gain);
      osc.start(ctx.currentTime + i * 0.12);
      osc.stop(ctx.currentTime + i * 0.12 + 0.1);
    });
    setTimeout(() => void ctx.close(), 600);
  } catch {
    // Sound is a nicety; browsers may refuse audio before a user gesture.
  }
}

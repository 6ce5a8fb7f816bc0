import type { MessageKey } from '../i18n';

/**
 * A task's title in the viewer's language: the hub writes callback titles in English ("Call back Anna"),
 * so those are rendered from their kind; titles people typed are shown as typed.
 */
export function taskTitle(task: { kind: string; title: string }, contactName: string | null, t: (key: MessageKey, vars?: Record<string, string | number>) => string): string {
  if (task.kind === 'callback') return t('task.title.callback', { name: contactName ?? t('unknownName') });
  return task.title;
}

import { useLayoutEffect, useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

/** Open dialogs, the newest last: only the newest keeps focus (a confirmation opened over a form). */
const stack: HTMLElement[] = [];

/**
 * A modal dialog that keeps focus inside while open (Tab wraps), closes on Escape or a click on the
 * backdrop, and gives focus back to what opened it.
 *
 * It renders into document.body, not where it is used: a dialog opened from a lead row must not be
 * moved or re-created with the row when the live inbox re-sorts (a moved node drops its focus).
 * Focus is set in a layout effect, in the same commit that shows the dialog, so a key pressed once
 * it is visible cannot land behind it; and focus that still ends up outside (the focused button
 * re-rendered away, a click on the page behind) is taken back on the next focus or Tab.
 */
export function Dialog({ title, onClose, children, testId }: { title: string; onClose: () => void; children: ReactNode; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const box = ref.current;
    if (!box) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    stack.push(box);
    focusInto(box, 'first');
    const outside = (node: EventTarget | null) => stack[stack.length - 1] === box && !(node instanceof Node && box.contains(node));
    const onFocusIn = (e: FocusEvent) => {
      if (outside(e.target)) focusInto(box, 'first');
    };
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.key !== 'Tab' || !outside(document.activeElement)) return;
      e.preventDefault();
      focusInto(box, e.shiftKey ? 'last' : 'first');
    };
    document.addEventListener('focusin', onFocusIn);
    document.addEventListener('keydown', onKeyDown, true);
    return () => {
      document.removeEventListener('focusin', onFocusIn);
      document.removeEventListener('keydown', onKeyDown, true);
      stack.splice(stack.indexOf(box), 1);
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  // Tab inside the dialog: wrap at either end instead of leaving it.
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
      return;
    }
    if (e.key !== 'Tab' || !ref.current) return;
    const items = focusables(ref.current);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };
  return createPortal(
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div ref={ref} className="card modal" role="dialog" aria-modal="true" aria-label={title} tabIndex={-1} onKeyDown={onKeyDown} data-testid={testId}>
        <h2>{title}</h2>
        {children}
      </div>
    </div>,
    document.body,
  );
}

const FOCUSABLE = 'button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])';

function focusables(box: HTMLElement): HTMLElement[] {
  return [...box.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hasAttribute('disabled'));
}

function focusInto(box: HTMLElement, end: 'first' | 'last'): void {
  const items = focusables(box);
  const target = end === 'first' ? items[0] : items[items.length - 1];
  (target ?? box).focus();
}

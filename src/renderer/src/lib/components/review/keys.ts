// The review screen's keys: one table feeds its key handler and its `?` sheet.
import { isTyping } from '../../keymap';

export type ReviewAction =
  | 'next'
  | 'prev'
  | 'row-up'
  | 'row-down'
  | 'toggle'
  | 'yes'
  | 'no'
  | 'unknown'
  | 'accept-all'
  | 'reviewed-next'
  | 'flag'
  | 'skip'
  | 'undo'
  | 'redo'
  | 'fix'
  | 'propose'
  | 'overlay'
  | 'landmarks'
  | 'help'
  | 'close';

export interface ReviewBinding {
  action: ReviewAction;
  keys: string[];
  label: string;
  group: 'Faces' | 'Attributes' | 'Overlay' | 'General';
  ctrl?: boolean;
  shift?: boolean;
}

export const REVIEW_KEYS: readonly ReviewBinding[] = [
  { action: 'next', keys: ['j', 'ArrowRight'], label: 'Next face', group: 'Faces' },
  { action: 'prev', keys: ['k', 'ArrowLeft'], label: 'Previous face', group: 'Faces' },
  {
    action: 'reviewed-next',
    keys: ['Enter'],
    label: 'Mark reviewed and go on (to the most useful face when the header says so)',
    group: 'Faces',
  },
  { action: 'flag', keys: ['f'], label: 'Flag the face (toggle)', group: 'Faces' },
  { action: 'skip', keys: ['s'], label: 'Mark skipped', group: 'Faces' },
  { action: 'row-down', keys: ['ArrowDown'], label: 'Focus the next attribute', group: 'Attributes' },
  { action: 'row-up', keys: ['ArrowUp'], label: 'Focus the previous attribute', group: 'Attributes' },
  { action: 'toggle', keys: [' '], label: 'Toggle the focused attribute', group: 'Attributes' },
  { action: 'yes', keys: ['y'], label: 'Yes (or accept the prediction of a field)', group: 'Attributes' },
  { action: 'no', keys: ['n'], label: 'No', group: 'Attributes' },
  { action: 'unknown', keys: ['u', 'Backspace'], label: 'Unknown (clear the label)', group: 'Attributes' },
  { action: 'accept-all', keys: ['a'], label: 'Accept all predictions', group: 'Attributes' },
  { action: 'fix', keys: ['x'], label: 'Apply the first suggested fix', group: 'Attributes' },
  { action: 'propose', keys: ['c'], label: 'Apply constraints (proposal)', group: 'Attributes' },
  { action: 'undo', keys: ['z'], ctrl: true, label: 'Undo', group: 'General' },
  { action: 'redo', keys: ['z', 'Z'], ctrl: true, shift: true, label: 'Redo', group: 'General' },
  { action: 'overlay', keys: ['m'], label: 'Show or hide the mask overlay', group: 'Overlay' },
  { action: 'landmarks', keys: ['l'], label: 'Show or hide landmarks', group: 'Overlay' },
  { action: 'help', keys: ['?'], label: 'Show or hide these keys', group: 'General' },
  { action: 'close', keys: ['Escape'], label: 'Close the sheet, or back to the gallery', group: 'General' },
];

/** The action a key press asks for on the review screen, or null. */
export function reviewAction(e: KeyboardEvent): ReviewAction | null {
  const ctrl = e.ctrlKey || e.metaKey;
  if (e.altKey) return null;
  if (isTyping(e.target) && e.key !== 'Escape') return null;
  for (const b of REVIEW_KEYS) {
    if (!b.keys.includes(e.key) || !!b.ctrl !== ctrl) continue;
    if (b.ctrl && !!b.shift !== e.shiftKey) continue;
    return b.action;
  }
  return null;
}

/** How a key is shown. */
export function keyName(b: ReviewBinding, key: string): string {
  const names: Record<string, string> = {
    ArrowLeft: '←',
    ArrowRight: '→',
    ArrowUp: '↑',
    ArrowDown: '↓',
    Escape: 'Esc',
    ' ': 'Space',
    Backspace: '⌫',
  };
  const k = names[key] ?? key;
  return b.ctrl ? `Ctrl+${b.shift ? 'Shift+' : ''}${k.toUpperCase()}` : k;
}

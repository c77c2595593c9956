// Every user action and its keys: one table feeds the single key handler and the `?` overlay.

export type Action =
  | 'focus-left'
  | 'focus-right'
  | 'focus-up'
  | 'focus-down'
  | 'focus-first'
  | 'focus-last'
  | 'open-preview'
  | 'close'
  | 'toggle-help'
  | 'filter-all'
  | 'filter-errors'
  | 'prev-dataset'
  | 'next-dataset'
  | 'open-folder'
  | 'rescan';

export interface Binding {
  action: Action;
  /** `KeyboardEvent.key` values; the first is the one shown in the overlay. */
  keys: string[];
  label: string;
  group: 'Gallery' | 'Datasets' | 'General';
}

export const KEYMAP: readonly Binding[] = [
  { action: 'focus-left', keys: ['ArrowLeft', 'h'], label: 'Previous image', group: 'Gallery' },
  { action: 'focus-right', keys: ['ArrowRight', 'l'], label: 'Next image', group: 'Gallery' },
  { action: 'focus-up', keys: ['ArrowUp', 'k'], label: 'Image above', group: 'Gallery' },
  { action: 'focus-down', keys: ['ArrowDown', 'j'], label: 'Image below', group: 'Gallery' },
  { action: 'focus-first', keys: ['Home'], label: 'First image', group: 'Gallery' },
  { action: 'focus-last', keys: ['End'], label: 'Last loaded image', group: 'Gallery' },
  { action: 'open-preview', keys: ['Enter'], label: 'Open the larger preview', group: 'Gallery' },
  { action: 'filter-all', keys: ['a'], label: 'Show all images', group: 'Gallery' },
  { action: 'filter-errors', keys: ['e'], label: 'Show only unreadable files', group: 'Gallery' },
  { action: 'prev-dataset', keys: ['['], label: 'Previous dataset', group: 'Datasets' },
  { action: 'next-dataset', keys: [']'], label: 'Next dataset', group: 'Datasets' },
  { action: 'open-folder', keys: ['o'], label: 'Type a folder to open', group: 'Datasets' },
  { action: 'rescan', keys: ['r'], label: 'Rescan the dataset folder', group: 'Datasets' },
  { action: 'toggle-help', keys: ['?'], label: 'Show or hide these keys', group: 'General' },
  { action: 'close', keys: ['Escape'], label: 'Close preview, overlay or message', group: 'General' },
];

/** Keys of the face gallery: FacesScreen handles them ahead of the table above; the overlay lists them too. */
export const FACES_KEYS: readonly { keys: string[]; label: string }[] = [
  { keys: ['ArrowLeft', 'h'], label: 'Previous face' },
  { keys: ['ArrowRight', 'l'], label: 'Next face' },
  { keys: ['ArrowUp', 'k'], label: 'Face above' },
  { keys: ['ArrowDown', 'j'], label: 'Face below' },
  { keys: ['Home'], label: 'First face' },
  { keys: ['End'], label: 'Last face' },
  { keys: ['Enter'], label: 'Review the focused face' },
  { keys: ['x'], label: 'Select or unselect the focused face' },
  { keys: ['Escape'], label: 'Clear the selection' },
  { keys: ['/'], label: 'Search file names' },
];

const byKey = new Map<string, Action>(KEYMAP.flatMap((b) => b.keys.map((k) => [k, b.action] as const)));

/** True while the user types into a field: keys then belong to the field, except Escape. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

function isControl(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && !target.dataset.tile && ['BUTTON', 'A'].includes(target.tagName);
}

/** The action a key press asks for, or null (modifier chords are left to the browser). */
export function actionFor(e: KeyboardEvent): Action | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const action = byKey.get(e.key) ?? null;
  if (isTyping(e.target) && action !== 'close') return null;
  // Enter on a sidebar button presses that button; on a gallery tile (or nowhere) it opens the preview.
  if (action === 'open-preview' && isControl(e.target)) return null;
  return action;
}

/** How a key is shown in the overlay. */
export function keyLabel(key: string): string {
  const names: Record<string, string> = {
    ArrowLeft: '←',
    ArrowRight: '→',
    ArrowUp: '↑',
    ArrowDown: '↓',
    Escape: 'Esc',
  };
  return names[key] ?? key;
}

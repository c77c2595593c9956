// Every user action and its keys, per screen: one table feeds the single key handler and the `?` sheet.

/** Where a binding applies: `global` everywhere, the others on their screen. */
export type KeyScope = 'global' | 'images' | 'faces' | 'review';

export type Action =
  // General
  | 'help'
  | 'close'
  // Grids (images and faces)
  | 'focus-left'
  | 'focus-right'
  | 'focus-up'
  | 'focus-down'
  | 'focus-first'
  | 'focus-last'
  | 'open'
  // Images
  | 'filter-all'
  | 'filter-errors'
  | 'prev-dataset'
  | 'next-dataset'
  | 'open-folder'
  | 'rescan'
  // Faces
  | 'select'
  | 'search'
  // Review
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
  | 'fix-suspect'
  | 'pick'
  | 'propose'
  | 'overlay'
  | 'landmarks'
  | 'zoom-in'
  | 'zoom-out'
  | 'zoom-fit';

export interface Binding {
  action: Action;
  scope: KeyScope;
  /** `KeyboardEvent.key` values; the first is the one shown first in the sheet. */
  keys: string[];
  label: string;
  /** The heading in the `?` sheet. */
  group: string;
  ctrl?: boolean;
  shift?: boolean;
}

const grid = (scope: 'images' | 'faces', noun: string, open: string): Binding[] => {
  const group = scope === 'images' ? 'Images' : 'Faces';
  return [
    { action: 'focus-left', scope, keys: ['ArrowLeft', 'h'], label: `Previous ${noun}`, group },
    { action: 'focus-right', scope, keys: ['ArrowRight', 'l'], label: `Next ${noun}`, group },
    { action: 'focus-up', scope, keys: ['ArrowUp', 'k'], label: `${cap(noun)} above`, group },
    { action: 'focus-down', scope, keys: ['ArrowDown', 'j'], label: `${cap(noun)} below`, group },
    { action: 'focus-first', scope, keys: ['Home'], label: `First ${noun}`, group },
    { action: 'focus-last', scope, keys: ['End'], label: `Last ${noun}`, group },
    { action: 'open', scope, keys: ['Enter'], label: open, group },
  ];
};
const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

export const KEYMAP: readonly Binding[] = [
  ...grid('images', 'image', 'Open the larger preview'),
  { action: 'filter-all', scope: 'images', keys: ['a'], label: 'Show all images', group: 'Images' },
  {
    action: 'filter-errors',
    scope: 'images',
    keys: ['e'],
    label: 'Show only unreadable files',
    group: 'Images',
  },
  { action: 'rescan', scope: 'images', keys: ['r'], label: 'Rescan the dataset folder', group: 'Images' },
  { action: 'prev-dataset', scope: 'images', keys: ['['], label: 'Previous dataset', group: 'Images' },
  { action: 'next-dataset', scope: 'images', keys: [']'], label: 'Next dataset', group: 'Images' },
  { action: 'open-folder', scope: 'images', keys: ['o'], label: 'Type a folder to open', group: 'Images' },

  ...grid('faces', 'face', 'Review the focused face'),
  {
    action: 'select',
    scope: 'faces',
    keys: ['x'],
    label: 'Select or unselect the focused face',
    group: 'Faces',
  },
  { action: 'close', scope: 'faces', keys: ['Escape'], label: 'Clear the selection', group: 'Faces' },
  { action: 'search', scope: 'faces', keys: ['/'], label: 'Search file names', group: 'Faces' },

  { action: 'next', scope: 'review', keys: ['j', 'ArrowRight'], label: 'Next face', group: 'Review' },
  { action: 'prev', scope: 'review', keys: ['k', 'ArrowLeft'], label: 'Previous face', group: 'Review' },
  {
    action: 'reviewed-next',
    scope: 'review',
    keys: ['Enter'],
    label: 'Mark reviewed and go on (open errors: shown first, Enter again)',
    group: 'Review',
  },
  { action: 'flag', scope: 'review', keys: ['f'], label: 'Flag the face (toggle)', group: 'Review' },
  { action: 'skip', scope: 'review', keys: ['s'], label: 'Mark skipped', group: 'Review' },
  {
    action: 'close',
    scope: 'review',
    keys: ['Escape'],
    label: 'Close the picker, or back to the gallery',
    group: 'Review',
  },
  {
    action: 'row-down',
    scope: 'review',
    keys: ['ArrowDown'],
    label: 'Focus the next attribute',
    group: 'Attributes',
  },
  {
    action: 'row-up',
    scope: 'review',
    keys: ['ArrowUp'],
    label: 'Focus the previous attribute',
    group: 'Attributes',
  },
  {
    action: 'toggle',
    scope: 'review',
    keys: [' '],
    label: 'Toggle the focused attribute (a field: list its values, or type the age)',
    group: 'Attributes',
  },
  {
    action: 'yes',
    scope: 'review',
    keys: ['y'],
    label: 'Yes (or accept the prediction of a field)',
    group: 'Attributes',
  },
  { action: 'no', scope: 'review', keys: ['n'], label: 'No', group: 'Attributes' },
  {
    action: 'unknown',
    scope: 'review',
    keys: ['u', 'Backspace'],
    label: 'Unknown (clear the label)',
    group: 'Attributes',
  },
  {
    action: 'accept-all',
    scope: 'review',
    keys: ['a'],
    label: 'Accept all predictions',
    group: 'Attributes',
  },
  {
    action: 'fix',
    scope: 'review',
    keys: ['x'],
    label: 'Apply the suggested fix (several: pick one)',
    group: 'Attributes',
  },
  {
    action: 'fix-suspect',
    scope: 'review',
    keys: ['w'],
    label: "Likely wrong label: set the held-out model's suggested value",
    group: 'Attributes',
  },
  {
    action: 'pick',
    scope: 'review',
    keys: ['1', '2', '3', '4', '5', '6', '7', '8', '9'],
    label: 'Pick the listed fix or value with that number; on age, type the age',
    group: 'Attributes',
  },
  {
    action: 'propose',
    scope: 'review',
    keys: ['c'],
    label: 'Apply constraints (proposal)',
    group: 'Attributes',
  },
  { action: 'undo', scope: 'review', keys: ['z'], ctrl: true, label: 'Undo', group: 'Attributes' },
  {
    action: 'redo',
    scope: 'review',
    keys: ['z', 'Z'],
    ctrl: true,
    shift: true,
    label: 'Redo',
    group: 'Attributes',
  },
  {
    action: 'overlay',
    scope: 'review',
    keys: ['m'],
    label: 'Show or hide the mask overlay',
    group: 'Overlay',
  },
  { action: 'landmarks', scope: 'review', keys: ['l'], label: 'Show or hide landmarks', group: 'Overlay' },
  {
    action: 'zoom-in',
    scope: 'review',
    keys: ['+', '='],
    label: 'Zoom in (or the wheel over the photo; drag to pan)',
    group: 'Overlay',
  },
  { action: 'zoom-out', scope: 'review', keys: ['-'], label: 'Zoom out', group: 'Overlay' },
  { action: 'zoom-fit', scope: 'review', keys: ['0'], label: 'Fit the photo again', group: 'Overlay' },

  { action: 'help', scope: 'global', keys: ['?'], label: 'Show or hide these keys', group: 'General' },
  {
    action: 'close',
    scope: 'global',
    keys: ['Escape'],
    label: 'Close the preview, sheet or field, then a message',
    group: 'General',
  },
];

/** True while the user types into a field: keys then belong to the field, except Escape. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** A button or link that is not a grid tile: Enter and Space there press it. */
function isControl(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    !target.dataset.tile &&
    ['BUTTON', 'A', 'SELECT', 'INPUT'].includes(target.tagName)
  );
}

/** The binding a key press asks for on `scope` (its own keys first, then the global ones), or null. */
export function bindingFor(e: KeyboardEvent, scope: KeyScope): Binding | null {
  if (e.altKey) return null;
  const ctrl = e.ctrlKey || e.metaKey;
  const match = (b: Binding) =>
    b.keys.includes(e.key) && !!b.ctrl === ctrl && (!b.ctrl || !!b.shift === e.shiftKey);
  const b =
    KEYMAP.find((x) => x.scope === scope && match(x)) ?? KEYMAP.find((x) => x.scope === 'global' && match(x));
  if (!b) return null;
  if (isTyping(e.target) && b.action !== 'close') return null;
  if ((e.key === 'Enter' || e.key === ' ') && isControl(e.target)) return null;
  return b;
}

/** The `?` sheet: the screen's groups first, then the other screens', General last. */
export function sheetGroups(scope: KeyScope): [string, Binding[]][] {
  const order = (b: Binding) => (b.scope === scope ? 0 : b.scope === 'global' ? 2 : 1);
  const sorted = [...KEYMAP].sort((a, b) => order(a) - order(b));
  const groups = new Map<string, Binding[]>();
  for (const b of sorted) {
    const list = groups.get(b.group) ?? [];
    if (!list.some((x) => x.action === b.action && x.label === b.label)) list.push(b);
    groups.set(b.group, list);
  }
  return [...groups];
}

/** How a key is shown. */
export function keyName(b: Binding, key: string): string {
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

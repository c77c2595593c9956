// The mask tools on the stage: brush and eraser strokes, polygon fill, and the class under the pointer. The stage
// component keeps the view (zoom, pan) and the markup; this keeps the painting state.
import type { Box } from '@shared/api';
import { CLASS_NAMES, fillPolygon, paintLine, type LabelMap, type Tool } from './mask';

export interface EditorInput {
  map: LabelMap | null;
  maskBox: Box | null;
  tool: Tool;
  classId: number;
  /** Brush diameter in image pixels. */
  brush: number;
  onBeginEdit: () => void;
}

export class MaskEditor {
  /** The parsing class under the pointer. */
  hover = $state<string | null>(null);
  /** The polygon being drawn, in map pixels. */
  polygon = $state<[number, number][]>([]);
  #last: [number, number] | null = null;
  readonly #input: () => EditorInput;
  readonly #canvas: () => HTMLCanvasElement | undefined;
  readonly #redraw: () => void;

  constructor(input: () => EditorInput, canvas: () => HTMLCanvasElement | undefined, redraw: () => void) {
    this.#input = input;
    this.#canvas = canvas;
    this.#redraw = redraw;
  }

  /** The brush radius in map pixels. */
  get radius(): number {
    const { map, maskBox, brush } = this.#input();
    return map && maskBox ? (brush / 2) * (map.width / maskBox.w) : 1;
  }

  #toMap(e: PointerEvent): [number, number] | null {
    const canvas = this.#canvas();
    const { map } = this.#input();
    if (!canvas || !map) return null;
    const r = canvas.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * map.width;
    const y = ((e.clientY - r.top) / r.height) * map.height;
    return x >= 0 && y >= 0 && x < map.width && y < map.height ? [x, y] : null;
  }

  /** A press: a polygon point (closing it near its start fills it) or the start of a stroke. */
  down(e: PointerEvent): void {
    const input = this.#input();
    const at = this.#toMap(e);
    if (!at || !input.map) return;
    if (input.tool === 'polygon') {
      const first = this.polygon[0];
      const near = first && Math.hypot(first[0] - at[0], first[1] - at[1]) < this.radius * 2 + 3;
      if (first && this.polygon.length > 2 && near) {
        input.onBeginEdit();
        fillPolygon(input.map, this.polygon, input.classId);
        this.polygon = [];
        this.#redraw();
      } else this.polygon = [...this.polygon, at];
      return;
    }
    input.onBeginEdit();
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    this.#last = at;
    paintLine(input.map, at, at, this.radius, input.tool === 'eraser' ? 0 : input.classId);
    this.#redraw();
  }

  /** A move: names the class under the pointer, and paints while the stroke's button is held. */
  move(e: PointerEvent): void {
    const input = this.#input();
    const at = this.#toMap(e);
    const map = input.map;
    this.hover =
      at && map
        ? (CLASS_NAMES[map.ids[Math.floor(at[1]) * map.width + Math.floor(at[0])] ?? 0] ?? null)
        : null;
    if (!at || !this.#last || !map || !(e.buttons & 1)) return;
    paintLine(map, this.#last, at, this.radius, input.tool === 'eraser' ? 0 : input.classId);
    this.#last = at;
    this.#redraw();
  }

  up(): void {
    this.#last = null;
  }
}

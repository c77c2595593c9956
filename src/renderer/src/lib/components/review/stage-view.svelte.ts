// Zoom and pan of the review stage over its fitted view: the wheel zooms about the pointer, a drag pans, `0` fits.
export const MIN_ZOOM = 1;
export const MAX_ZOOM = 16;

export class StageView {
  /** Magnification over the fitted view (1 = the face region fits the stage). */
  zoom = $state(1);
  /** Offset in stage pixels, applied after the zoom. */
  panX = $state(0);
  panY = $state(0);

  get fitted(): boolean {
    return this.zoom === 1 && this.panX === 0 && this.panY === 0;
  }

  /** Back to the fitted view (`0`, a new face). */
  fit(): void {
    this.zoom = 1;
    this.panX = 0;
    this.panY = 0;
  }

  /** Zooms by `factor` keeping the stage point (x, y) where it is; at zoom 1 the view is fitted again. */
  zoomAt(factor: number, x: number, y: number): void {
    const z = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.zoom * factor));
    if (z === MIN_ZOOM) return this.fit();
    const k = z / this.zoom;
    this.panX = x - k * (x - this.panX);
    this.panY = y - k * (y - this.panY);
    this.zoom = z;
  }

  /** The stage's size in pixels (set by the stage), for the keys' zoom about its centre. */
  width = 0;
  height = 0;

  /** `+` / `-`: zooms about the stage's centre. */
  zoomCentre(factor: number): void {
    this.zoomAt(factor, this.width / 2, this.height / 2);
  }

  panBy(dx: number, dy: number): void {
    this.panX += dx;
    this.panY += dy;
  }

  /** The CSS transform of the world whose fitted transform is translate(tx, ty) scale(scale). */
  transform(tx: number, ty: number, scale: number): string {
    const z = this.zoom;
    return `translate(${z * tx + this.panX}px, ${z * ty + this.panY}px) scale(${z * scale})`;
  }
}

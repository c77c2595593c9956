// Items per second and time left per job, from the progress reports of the last few seconds.
const WINDOW_MS = 10_000;

export class RateTracker {
  #samples = new Map<number, { t: number; done: number }[]>();

  /** Records a report and returns the current rate (items/s) and ETA (s), null while unknown. */
  update(jobId: number, done: number, total: number, finished: boolean, now = Date.now()) {
    if (finished) {
      this.#samples.delete(jobId);
      return { rate: null, etaSeconds: finished ? 0 : null };
    }
    const list = this.#samples.get(jobId) ?? [];
    list.push({ t: now, done });
    while (list.length > 2 && now - list[0]!.t > WINDOW_MS) list.shift();
    this.#samples.set(jobId, list);
    const first = list[0]!;
    const dt = (now - first.t) / 1000;
    if (dt < 1 || done <= first.done) return { rate: null, etaSeconds: null };
    const rate = (done - first.done) / dt;
    return { rate: Math.round(rate * 100) / 100, etaSeconds: Math.ceil((total - done) / rate) };
  }
}

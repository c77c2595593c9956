// The current route as state, following the URL hash (parsing and formatting live in route.ts).
import { formatRoute, parseRoute, type Route } from './route';

export * from './route';

/** The current route, following hash changes (back / forward, links, hand edits). */
export class Router {
  route = $state.raw<Route>(parseRoute(window.location.hash));

  constructor() {
    this.#canonical();
  }

  /** A bare URL or an old `#dataset=` link is rewritten in place to the one scheme (`#/library`, `#/images?ds=`). */
  #canonical(): void {
    if (!window.location.hash.startsWith('#/')) this.go(this.route, true);
  }

  /** Subscribes to hash changes; returns the cleanup. */
  connect(): () => void {
    const on = () => {
      this.route = parseRoute(window.location.hash);
      this.#canonical();
    };
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }

  /** A new history entry (`replace` for filter tweaks, so Back leaves the screen rather than undoing keys). */
  go(r: Pick<Route, 'screen' | 'datasetId'> & Partial<Route>, replace = false): void {
    const hash = formatRoute(r);
    const next = parseRoute(hash);
    if (replace) {
      const { pathname, search } = window.location;
      history.replaceState(history.state, '', pathname + search + hash);
    } else if (window.location.hash !== hash) {
      window.location.hash = hash;
    }
    this.route = next;
  }
}

// Who may call what in team mode: every API method is `read`, `review` (reviewers and admins) or `admin`. The
// Record over Method makes a new method a compile error until it is placed here.
import type { Method } from './api';

export type Access = 'read' | 'review' | 'admin';

export const METHOD_ACCESS: Record<Method, Access> = {
  'app.info': 'read',
  'datasets.create': 'admin',
  'datasets.list': 'read',
  'datasets.get': 'read',
  'datasets.rescan': 'admin',
  'datasets.setFaceCrops': 'admin',
  'images.list': 'read',
  'jobs.list': 'read',
  'jobs.get': 'read',
  'jobs.cancel': 'admin',
  'jobs.pause': 'admin',
  'jobs.resume': 'admin',
  'jobs.retry': 'admin',
  'jobs.failures': 'read',
  // A folder dialog on the server's screen: never for a remote person.
  'system.pickFolder': 'admin',
  'datasets.analyze': 'admin',
  'images.analyze': 'admin',
  'faces.list': 'read',
  'faces.get': 'read',
  'labels.set': 'review',
  'rules.get': 'read',
  'rules.check': 'read',
  'rules.set': 'admin',
  'violations.list': 'read',
  'violations.counts': 'read',
  'stats.cooccurrence': 'read',
  'datasets.releases': 'read',
  'datasets.importAnnotations': 'admin',
  'exports.start': 'admin',
  'jobs.report': 'read',
  'labels.apply': 'review',
  'labels.undo': 'review',
  'labels.redo': 'review',
  'reviews.set': 'review',
  'faces.proposal': 'read',
  'masks.save': 'review',
  'datasets.stats': 'read',
  'faces.facets': 'read',
  // Changes many faces at once: an admin's call.
  'labels.bulkSet': 'admin',
  'stats.agreement': 'read',
  'settings.get': 'read',
  'settings.set': 'admin',
  'learning.train': 'admin',
  'learning.report': 'read',
  // Reading is `read`; a change (any field besides datasetId) is admin: see `accessOf`.
  'learning.settings': 'read',
  'learning.next': 'review',
  'learning.ranking': 'read',
  'learning.identities': 'read',
  'learning.suspects': 'read',
  'learning.noise': 'read',
  'mllm.endpoints': 'read',
  'mllm.saveEndpoint': 'admin',
  'mllm.deleteEndpoint': 'admin',
  'mllm.audit': 'admin',
  'mllm.report': 'read',
  // The desktop app answers these itself; a server answers get, and refuses set, for anyone.
  'connection.get': 'read',
  'connection.set': 'read',
  'team.me': 'read',
  'team.settings': 'read',
  'team.agreement': 'read',
  // Ends another reviewer's claim on a face: the admin's explicit override of a claim (review/team.ts).
  'team.takeOver': 'admin',
};

/** Methods that read with only their key and change a setting with any other field. */
const SETTINGS_METHODS: ReadonlySet<Method> = new Set(['learning.settings', 'team.settings']);

/** The access a request needs: a settings method with a change in it needs admin. */
export function accessOf(method: Method, req: unknown): Access {
  if (SETTINGS_METHODS.has(method) && typeof req === 'object' && req !== null) {
    if (Object.keys(req).some((k) => k !== 'datasetId')) return 'admin';
  }
  return METHOD_ACCESS[method];
}

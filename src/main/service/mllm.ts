// mllm.*: saved vision-LLM endpoints (keys kept by the secret store, never answered), the audit job, its report.
import type { MllmEndpoint, MllmEndpointInfo, MllmTask } from '../../shared/api';
import { MLLM_TASKS } from '../../shared/api';
import { AppError } from '../../shared/errors';
import { FAIRFACE_RACES, isUtkRace } from '../../shared/taxonomy';
import { checkedParams } from '../jobs/params';
import { mllmReport } from '../mllm/report';
import { fileSecretStore } from '../mllm/secrets';
import { toJob } from '../store/index';
import type { Handlers, ServiceContext } from './context';
import { readSettings, writeSettings } from './settings';

type MllmMethods =
  'mllm.endpoints' | 'mllm.saveEndpoint' | 'mllm.deleteEndpoint' | 'mllm.audit' | 'mllm.report';

const FAIRFACE_ONLY = FAIRFACE_RACES.filter((r) => !isUtkRace(r));

export function mllmHandlers(ctx: ServiceContext): Pick<Handlers, MllmMethods> {
  const { store, deps } = ctx;
  const dir = deps.info.dataDir;
  const secrets = deps.secrets ?? fileSecretStore(dir);
  const endpoints = async (): Promise<MllmEndpoint[]> => (await readSettings(dir)).mllmEndpoints ?? [];
  const infos = async (): Promise<{ items: MllmEndpointInfo[] }> => ({
    items: (await endpoints()).map((e) => ({ ...e, hasKey: secrets.has(e.id) })),
  });
  const save = async (list: MllmEndpoint[]) =>
    writeSettings(dir, { ...(await readSettings(dir)), mllmEndpoints: list });

  return {
    'mllm.endpoints': infos,
    'mllm.saveEndpoint': async ({ endpoint, apiKey }) => {
      const list = (await endpoints()).filter((e) => e.id !== endpoint.id);
      // The key first: a refused key (no OS keychain) leaves the endpoint list as it was.
      if (apiKey !== undefined) secrets.set(endpoint.id, apiKey);
      await save([...list, endpoint].sort((a, b) => a.id.localeCompare(b.id)));
      return infos();
    },
    'mllm.deleteEndpoint': async ({ id }) => {
      const list = await endpoints();
      if (!list.some((e) => e.id === id))
        throw new AppError('not_found', `no saved endpoint "${id}"`, { where: { field: 'id' } });
      secrets.set(id, null);
      await save(list.filter((e) => e.id !== id));
      return infos();
    },
    'mllm.audit': async ({ datasetId, endpointId, tasks, scope, faceIds, retries }) => {
      ctx.getDataset(datasetId);
      const endpoint = (await endpoints()).find((e) => e.id === endpointId);
      if (!endpoint) {
        throw new AppError('not_found', `no saved endpoint "${endpointId}"`, {
          where: { field: 'endpointId' },
          hint: 'save one in Settings -> Vision LLMs (or mllm.saveEndpoint)',
        });
      }
      const chosen: MllmTask[] = tasks ? MLLM_TASKS.filter((t) => tasks.includes(t)) : [...MLLM_TASKS];
      const raceSet = store.mllm.hasRaceLabelIn(datasetId, FAIRFACE_ONLY) ? 'fairface' : 'utk';
      const params = checkedParams('mllm-audit', {
        endpoint,
        tasks: chosen,
        raceSet,
        scope: scope ?? 'reviewed',
        ...(faceIds ? { faceIds } : {}),
        ...(retries !== undefined ? { retries } : {}),
        concurrency: endpoint.concurrency,
      });
      const id = store.write(() => store.jobs.create('mllm-audit', datasetId, params));
      deps.wakeJobs([id]);
      return toJob(ctx.getJob(id));
    },
    'mllm.report': ({ datasetId }) => {
      ctx.getDataset(datasetId);
      return mllmReport(
        datasetId,
        store.mllm.auditRows(datasetId),
        ctx.engine.ruleSet(),
        store.mllm.reviewedFaceIds(datasetId).length,
      );
    },
  };
}

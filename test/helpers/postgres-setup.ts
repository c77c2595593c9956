// Vitest globalSetup of the integration project: one throwaway PostgreSQL cluster per run, stopped at the end.
// Without the server binaries: an error under CI, elsewhere the PostgreSQL tests skip with the reason printed.
import type { TestProject } from 'vitest/node';
import { postgresBinDir, startCluster } from './postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres://postgres@127.0.0.1:PORT/ of the run's cluster, or '' when there is none. */
    pgBaseUrl: string;
    /** Why there is no cluster ('' when there is one). */
    pgSkip: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const bin = postgresBinDir();
  if (!bin) {
    const why = 'PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install -y postgresql';
    if (process.env.CI) throw new Error(why);
    console.warn(`skipping the PostgreSQL tests: ${why}`);
    project.provide('pgBaseUrl', '');
    project.provide('pgSkip', why);
    return () => {};
  }
  const cluster = await startCluster(bin);
  project.provide('pgBaseUrl', cluster.baseUrl);
  project.provide('pgSkip', '');
  return () => cluster.stop();
}

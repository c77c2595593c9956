// `faceinsight serve`: browser mode on loopback (or --host), guarded by a per-run token and the Host check.
import { join } from 'node:path';
import { projectRoot } from '../paths';
import { startHttpServer } from '../transports/http';
import { openHost, parse, UsageError } from './common';
import { noteLeftoverJobs } from './jobs';

export const SERVE_HELP = `  faceinsight serve  [--port N] [--host ADDR] [--allow-host NAME]… [--db FILE] [--data-dir DIR]
      Browser mode: serves the app on http://127.0.0.1:PORT/?token=… (printed on its own line). Requests
      must name the server by a loopback name, the --host address (for 0.0.0.0: any of the machine's
      addresses) or a name given with --allow-host (DNS-rebinding guard).`;

export async function serve(args: string[]): Promise<number> {
  const { values } = parse(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    'allow-host': { type: 'string', multiple: true },
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: not a port: ${values.port}`);
  const host = await openHost(values, 'all');
  // The app's own queue resumes; jobs CLI commands left stay theirs (`faceinsight jobs retry ID`).
  noteLeftoverJobs(host, false);
  const http = await startHttpServer(host, {
    host: values.host ?? '127.0.0.1',
    port,
    staticDir: join(projectRoot(), 'out', 'renderer'),
    allowHosts: values['allow-host'] ?? [],
  });
  if (values.host && !['127.0.0.1', 'localhost', '::1'].includes(values.host)) {
    console.error(
      `warning: listening on ${values.host}; anyone who can reach it and has the token can use the app`,
    );
  }
  // Listen before printing the URL: a script that stops us as soon as it reads the URL must not kill us mid-way.
  const stopped = new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.error(`FaceInsight Studio ${host.info.version} (browser mode), data: ${host.info.dataDir}`);
  console.log(http.url);
  await stopped;
  await http.close();
  await host.close();
  return 0;
}

// `faceinsight serve`: browser mode on loopback (or --host), guarded by a per-run token and the Host check; in
// team mode (a PostgreSQL database, or --team) by personal user tokens instead.
import { isIP } from 'node:net';
import { join } from 'node:path';
import { AppError } from '../../shared/errors';
import { projectRoot } from '../paths';
import { startHttpServer } from '../transports/http';
import { openHost, parse, UsageError } from './common';
import { noteLeftoverJobs } from './jobs';

export const SERVE_HELP = `  faceinsight serve  [--port N] [--host ADDR] [--allow-host NAME]… [--team] [--db FILE|URL] [--data-dir DIR]
      Browser mode: serves the app on http://127.0.0.1:PORT/?token=… (printed on its own line). Requests
      must name the server by a loopback name, the --host address (for 0.0.0.0: any of the machine's
      addresses) or a name given with --allow-host (DNS-rebinding guard).
      Team mode (a postgres:// --db, or --team): every request needs a personal token from
      \`faceinsight users add\` (?token=…, or "Authorization: Bearer …") instead of the per-run one, and is
      done as that user; it refuses to start without a user. A --host other than loopback needs team mode;
      put a TLS reverse proxy in front of it (README, "Team mode").`;

/** Loopback addresses: nothing outside this machine can connect. */
function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

export async function serve(args: string[]): Promise<number> {
  const { values } = parse(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    'allow-host': { type: 'string', multiple: true },
    team: { type: 'boolean' },
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: not a port: ${values.port}`);
  const bind = values.host ?? '127.0.0.1';
  const host = await openHost(values, 'all');
  const team = values.team === true || host.teamDatabase;
  try {
    if (team && host.activeUserCount() === 0) {
      throw new AppError(
        'invalid_request',
        'team mode needs at least one user with a token, and there is none',
        {
          hint: `Add one: faceinsight users add NAME --role admin${values.db ? ' --db …' : ''} (it prints the token).`,
        },
      );
    }
    if (!isLoopback(bind) && !team) {
      throw new AppError(
        'invalid_request',
        `refusing to listen on ${bind}: only team mode (personal user tokens) may be reached from other machines`,
        {
          hint:
            'Use a PostgreSQL --db or --team, add users (faceinsight users add), and put a TLS reverse proxy ' +
            'in front (README, "Team mode"); or leave --host out to stay on 127.0.0.1.',
        },
      );
    }
  } catch (err) {
    await host.close();
    throw err;
  }
  // The app's own queue resumes; jobs CLI commands left stay theirs (`faceinsight jobs retry ID`).
  noteLeftoverJobs(host, false);
  const http = await startHttpServer(host, {
    host: bind,
    port,
    staticDir: join(projectRoot(), 'out', 'renderer'),
    allowHosts: values['allow-host'] ?? [],
    team,
  });
  if (team) {
    console.error(`team mode: ${host.activeUserCount()} user(s); open the URL with ?token=YOUR_TOKEN`);
  }
  if (!isLoopback(bind)) {
    console.error(
      `warning: listening on ${bind} over plain HTTP: put a TLS reverse proxy in front (README, "Team mode")`,
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

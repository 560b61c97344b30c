/**
 * A repository that stays fresh while `keyless serve` runs: the timestamp expires (7 days by default), so a
 * long-running server MUST re-sign before then. Rebuilt lazily on the first request after half the timestamp's
 * lifetime, so there is no timer to stop.
 *
 * Life of a refresh: a client reads timestamp.json (version N), then fetches N.snapshot.json and N.targets.json in
 * separate requests. If the repository is rebuilt to version M between those requests, the client still asks for
 * version N's files, so the previous build's files stay served (the new build's override the common names).
 */
import { buildTufRepository, type BuildTufRepositoryOptions, type TufRepository } from './repository.js';

export type TufRepositorySource = () => TufRepository;

export function refreshingTufRepository(opts: Omit<BuildTufRepositoryOptions, 'now'>, clock: () => number = Date.now): TufRepositorySource {
  const build = (now: number): TufRepository => buildTufRepository({ ...opts, now });
  let builtAt = clock();
  let current = build(builtAt);
  return () => {
    const now = clock();
    if (now >= builtAt + (current.expires - builtAt) / 2) {
      const next = build(now);
      // A clock that stood still (or went back) must not publish a version lower than the one served.
      const fresh = next.version > current.version ? next : buildTufRepository({ ...opts, now, version: current.version + 1 });
      current = { ...fresh, files: new Map([...current.files, ...fresh.files]) };
      builtAt = now;
    }
    return current;
  };
}

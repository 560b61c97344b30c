// podman and buildah as a GitLab shell runner without Docker has them, isolated for a test: image storage, the
// registry login and the registries configuration live in a temporary directory (CONTAINERS_STORAGE_CONF,
// REGISTRY_AUTH_FILE, CONTAINERS_REGISTRIES_CONF), so nothing touches the host's own. The loopback test registry
// speaks plain HTTP, which podman allows only for a registry configured `insecure`, here and not in any YAML.
// `bin` holds a `docker` command that runs podman, as Debian's podman-docker package installs it.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './serve.js';

export interface PodmanHost {
  readonly dir: string;
  /** A directory with `docker` (podman-docker's shim), to put first on a job's PATH. */
  readonly bin: string;
  /** The environment that makes podman and buildah use this host's storage, login and registries. */
  readonly env: Record<string, string>;
  podman(args: string[]): SpawnSyncReturns<string>;
  remove(): void;
}

/** The tools that are missing from PATH, of `tools`; with requireOrSkip (requirements.ts), why a test cannot run. */
export function missingTools(tools: readonly string[]): string[] {
  return tools.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
}

/** What requireOrSkip says of missing tools. */
export const notInstalled = (missing: readonly string[]): string => `${missing.join(', ')} not installed (.ci/run installs them)`;


/**
 * `run: true` also writes a containers.conf for `podman run` on this kind of machine (a VM with hybrid cgroups
 * that does not let a process raise RLIMIT_NOFILE): runc, since Debian's crun 1.8 refuses hybrid cgroups, and
 * explicit ulimits in place of podman's default nofile=1048576.
 */
export function podmanHost(insecureRegistries: readonly string[], opts: { run?: boolean } = {}): PodmanHost {
  const dir = tempDir('keyless-podman-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'docker'), '#!/bin/sh\n# As podman-docker installs it: Docker\'s command line, run by podman.\nexec podman "$@"\n');
  chmodSync(join(bin, 'docker'), 0o755);
  writeFileSync(join(dir, 'storage.conf'), `[storage]\ndriver = "overlay"\ngraphroot = "${join(dir, 'storage')}"\nrunroot = "${join(dir, 'run')}"\n`);
  writeFileSync(join(dir, 'registries.conf'), insecureRegistries.map((host) => `[[registry]]\nlocation = "${host}"\ninsecure = true\n`).join('\n'));
  const env: Record<string, string> = {
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
    REGISTRY_AUTH_FILE: join(dir, 'auth.json'),
  };
  // buildah wants the auth file to exist.
  writeFileSync(env.REGISTRY_AUTH_FILE!, '{"auths":{}}\n');
  if (opts.run === true) {
    writeFileSync(join(dir, 'containers.conf'), '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n\n[engine]\nruntime = "runc"\n');
    env.CONTAINERS_CONF = join(dir, 'containers.conf');
  }
  return {
    dir,
    bin,
    env,
    podman: (args) => spawnSync('podman', args, { encoding: 'utf8', env: { ...process.env, ...env } }),
    remove: () => {
      // Layers may be mounted from the storage directory: podman and buildah take them apart first (not
      // `podman system reset`, which would also remove the host's networks).
      spawnSync('buildah', ['rm', '--all'], { env: { ...process.env, ...env }, stdio: 'ignore' });
      spawnSync('podman', ['rmi', '--all', '--force'], { env: { ...process.env, ...env }, stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The witnessing part of `npm run bench:log`: the same load against a SQLite log that sends every checkpoint to
// three `keyless witness serve` processes with a 2-of-3 quorum, so that acknowledgement latency and throughput with
// and without witnesses come from the same run. Skipped with BENCH_WITNESSES=0.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServe, tempDir, type Served } from '../test/helpers/serve.js';
import { ROOT } from '../test/helpers/vectors.js';

type Run = (name: string, frontends: Served[]) => Promise<void>;

function startWitness(name: string, dataDir: string, config: string): Promise<{ url: string; vkey: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [join(ROOT, 'bin', 'keyless.js'), 'witness', 'serve', '--config', config, '--name', `${name}.bench`, '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`witness ${name} exited with ${code}`)));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const vkey = /witness vkey: (\S+)/.exec(out)?.[1];
      if (url !== undefined && vkey !== undefined) resolve({ url, vkey, proc });
    });
  });
}

export async function witnessBench(run: Run): Promise<void> {
  const work = tempDir('keyless-bench-witness-');
  const logDir = join(work, 'log');
  const witnesses: { url: string; vkey: string; proc: ChildProcess }[] = [];
  let served: Served | undefined;
  try {
    // Without witnesses, in this run, as the baseline (its first start also makes the log key the witnesses trust).
    served = await startServe(['--only', 'log'], { dataDir: logDir });
    await run('sqlite, no witnesses', [served]);
    await served.stop();
    served = undefined;
    const config = join(work, 'logs.txt');
    writeFileSync(config, `log ${readFileSync(join(logDir, 'rekor-v2.vkey'), 'utf8').trim()}\n`);
    for (const name of ['w1', 'w2', 'w3']) witnesses.push(await startWitness(name, join(work, name), config));
    const flags = witnesses.flatMap((w, i) => ['--witness', `w${i + 1}=${w.url}+${w.vkey}`]);
    served = await startServe(['--only', 'log', ...flags, '--witness-quorum', '2'], { dataDir: logDir });
    await run('sqlite, 2-of-3 witnesses', [served]);
    const status = await (await fetch(`${served.url}/witness-status`)).json() as { logs: Record<string, { published_total: number; timed_out_total: number; witnesses: { name: string; cosigned: number; failed: number }[] }> };
    const s = status.logs['rekor-v2']!;
    console.log(`  ${s.published_total} checkpoints sent for cosigning, ${s.timed_out_total} waits hit the deadline; witness requests (cosigned/failed): ${s.witnesses.map((w) => `${w.name} ${w.cosigned}/${w.failed}`).join(', ')}`);
  } finally {
    await served?.stop();
    for (const w of witnesses) w.proc.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

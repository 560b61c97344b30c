/**
 * CPU time of other processes over a measured window, from Linux's /proc: a benchmark's server runs in its own
 * process, so its CPU per acknowledged unit can be told apart from the load generator's. Also finds the PostgreSQL
 * backends serving one process (through its TCP sockets), so their CPU can be counted too.
 *
 * The parsers are pure and unit-tested; the readers return undefined where /proc is missing or unreadable (not
 * Linux, or another user's process), and the benchmarks then print "not measured".
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** utime and stime of /proc/<pid>/stat, in clock ticks. */
export interface ProcTimes {
  readonly utime: number;
  readonly stime: number;
}

/**
 * Reads fields 14 (utime) and 15 (stime) of a /proc/<pid>/stat line (proc(5)). The command name (field 2) is in
 * parentheses and may itself hold spaces and parentheses, so the fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcTimes {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/<pid>/stat line: no command name');
  const fields = text.slice(close + 1).trim().split(/\s+/);
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isSafeInteger(utime) || !Number.isSafeInteger(stime)) throw new Error('not a /proc/<pid>/stat line: utime/stime are not integers');
  return { utime, stime };
}

/** `write_bytes` and `syscw` of /proc/<pid>/io (bytes this process caused to be sent to storage; write calls). */
export function parseProcIo(text: string): { writeBytes: number; writeCalls: number } {
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s*(\\d+)$`, 'm').exec(text);
    if (m === null) throw new Error(`not a /proc/<pid>/io file: no ${name}`);
    return Number(m[1]);
  };
  return { writeBytes: field('write_bytes'), writeCalls: field('syscw') };
}

/** One socket of /proc/net/tcp or tcp6: local and remote port, and the socket's inode. */
export interface TcpSocket {
  readonly localPort: number;
  readonly remotePort: number;
  readonly inode: number;
}

/** Parses /proc/net/tcp or /proc/net/tcp6 (addresses are hex "ADDR:PORT"; inode is the tenth column). */
export function parseProcNetTcp(text: string): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const port = (addr: string | undefined): number => parseInt(addr?.split(':')[1] ?? '', 16);
    const s = { localPort: port(cols[1]), remotePort: port(cols[2]), inode: Number(cols[9]) };
    if (Number.isInteger(s.localPort) && Number.isInteger(s.remotePort) && Number.isSafeInteger(s.inode)) sockets.push(s);
  }
  return sockets;
}

/** The client port in a PostgreSQL backend's process title ("postgres: user db 127.0.0.1(54321) idle"), if any. */
export function postgresClientPort(cmdline: string): number | undefined {
  const m = /^postgres: .*\((\d+)\)/.exec(cmdline.replace(/\0/g, ' '));
  return m === null ? undefined : Number(m[1]);
}

let ticks: number | undefined;
/** Clock ticks per second (USER_HZ), from getconf; 100 if it cannot be asked. */
export function clockTicks(): number {
  if (ticks === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(r.stdout?.trim());
    ticks = r.status === 0 && Number.isInteger(n) && n > 0 ? n : 100;
  }
  return ticks;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system, all threads) a process has used so far, or undefined. */
export function cpuSeconds(pid: number): number | undefined {
  const text = read(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  const t = parseProcStat(text);
  return (t.utime + t.stime) / clockTicks();
}

/** Bytes a process has caused to be written to storage so far, or undefined. */
export function writeBytes(pid: number): number | undefined {
  const text = read(`/proc/${pid}/io`);
  return text === undefined ? undefined : parseProcIo(text).writeBytes;
}

/** PIDs of the PostgreSQL backends that serve connections from process `pid` to port `pgPort`. */
export function postgresBackends(pid: number, pgPort: number): number[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const inodes = new Set<number>();
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null) inodes.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    for (const s of parseProcNetTcp(read(`/proc/${pid}/net/${table}`) ?? '')) if (inodes.has(s.inode) && s.remotePort === pgPort) ports.add(s.localPort);
  }
  const backends: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = read(`/proc/${entry}/cmdline`);
    const port = cmdline === undefined ? undefined : postgresClientPort(cmdline);
    if (port !== undefined && ports.has(port)) backends.push(Number(entry));
  }
  return backends;
}

/** Every PostgreSQL process on the machine (backends, WAL writer, checkpointer, …). */
export function postgresProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && read(`/proc/${entry}/comm`)?.trim() === 'postgres') pids.push(Number(entry));
  }
  return pids;
}

/**
 * CPU seconds used by a set of processes between `start()` and `stop()`. A process first seen at `stop()` (a
 * backend opened mid-window) counts from zero; one gone by then is left out (its time is lost).
 */
export class CpuWindow {
  readonly #pids: () => readonly number[];
  #start = new Map<number, number>();

  constructor(pids: () => readonly number[]) {
    this.#pids = pids;
  }

  start(): void {
    this.#start = snapshot(this.#pids());
  }

  /** CPU seconds per PID over the window; undefined when no process could be read. */
  stop(): Map<number, number> | undefined {
    const end = snapshot([...new Set([...this.#start.keys(), ...this.#pids()])]);
    if (end.size === 0) return undefined;
    const used = new Map<number, number>();
    for (const [pid, s] of end) used.set(pid, s - (this.#start.get(pid) ?? 0));
    return used;
  }
}

function snapshot(pids: readonly number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const pid of pids) {
    const s = cpuSeconds(pid);
    if (s !== undefined) m.set(pid, s);
  }
  return m;
}

/** Sum of a window's CPU seconds, undefined if it was not measured. */
export function total(used: Map<number, number> | undefined): number | undefined {
  return used === undefined ? undefined : [...used.values()].reduce((a, b) => a + b, 0);
}

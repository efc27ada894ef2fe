// What the benchmarks learn from the OS: a process's CPU time from /proc, the clock tick, and CPU
// pinning through taskset (util-linux) when it is installed.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** USER_HZ: the unit of utime and stime in /proc/PID/stat (getconf CLK_TCK, almost always 100). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    let value = NaN;
    try {
      value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      // No getconf: fall through to Linux's fixed USER_HZ.
    }
    clockTicks = Number.isInteger(value) && value > 0 ? value : 100;
  }
  return clockTicks;
}

/** utime + stime of a process (all its threads), in clock ticks. */
export function processCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) is in parentheses and may hold spaces: count fields from after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field n is fields[n - 3]: utime is 14, stime is 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot parse /proc/${pid}/stat`);
  return utime + stime;
}

/** utime + stime of a process, in microseconds (resolution: one clock tick, usually 10 ms). */
export function processCpuMicros(pid: number): number {
  return (processCpuTicks(pid) * 1e6) / clockTicksPerSecond();
}

let tasksetPresent: boolean | undefined;

export function hasTaskset(): boolean {
  if (tasksetPresent === undefined) {
    try {
      execFileSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' });
      tasksetPresent = true;
    } catch {
      tasksetPresent = false;
    }
  }
  return tasksetPresent;
}

/** The CPUs a process may run on, as taskset prints them ("0,1" or "0-3"). */
export function getAffinity(pid: number): string {
  const out = execFileSync('taskset', ['-p', '-c', String(pid)], { encoding: 'utf8' });
  const list = /:\s*([0-9,-]+)\s*$/.exec(out.trim())?.[1];
  if (list === undefined) throw new Error(`cannot read the CPU affinity of ${pid}: ${out.trim()}`);
  return list;
}

/** Pins every thread of a process to a CPU list ("1", "0-1"). */
export function setAffinity(pid: number, cpuList: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
}

/** Expands a taskset list ("0-2,5") into CPU numbers. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || !Number.isInteger(from)) continue;
    for (let cpu = from; cpu <= (to ?? from); cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The command prefix that runs a program pinned to one CPU, or nothing when not pinning. */
export function pinnedCommand(cpu: number | undefined, command: string, args: readonly string[]): [string, string[]] {
  if (cpu === undefined) return [command, [...args]];
  return ['taskset', ['-c', String(cpu), command, ...args]];
}

export interface CpuTimes {
  /** Ticks the CPU spent on anything (user, nice, system, irq, softirq, steal). */
  busy: number;
  /** Ticks the hypervisor gave to another guest while this one wanted the CPU. */
  steal: number;
  /**
   * Ticks in softirq (inside busy): mostly network processing, which on loopback is this bench's
   * own traffic, charged to no process when it runs outside a system call.
   */
  softirq: number;
  total: number;
}

/** One CPU's line of /proc/stat ("cpu0 ..."), or the whole machine's ("cpu ...") when cpu is undefined. */
export function cpuTimes(cpu?: number): CpuTimes {
  const label = cpu === undefined ? 'cpu' : `cpu${cpu}`;
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((row) => row.startsWith(`${label} `));
  if (line === undefined) throw new Error(`no ${label} line in /proc/stat`);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, steal, softirq, total: busy + idle + iowait };
}

/** The soft limit on open files of a process, from /proc/PID/limits (NaN if unreadable). */
export function processOpenFileLimit(pid: number): number {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    if (!match) return NaN;
    return match[1] === 'unlimited' ? Infinity : Number(match[1]);
  } catch {
    return NaN;
  }
}

/** Resident memory of a process in MiB, from /proc/PID/status. */
export function processRssMiB(pid: number): number {
  return processStatusMiB(pid, 'VmRSS');
}

/** A memory field of /proc/PID/status (VmRSS, VmHWM = peak RSS, RssAnon ...) in MiB. */
export function processStatusMiB(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

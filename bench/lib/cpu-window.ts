// CPU use over a measurement window, for benches with a server on one CPU and load generators on
// the other: the server's and the generators' CPU time (utime+stime from /proc/PID/stat, all
// threads), and how busy each CPU was in total, from /proc/stat, so that load from other people's
// processes on a shared machine shows up instead of silently skewing the figures.

import { performance } from 'node:perf_hooks';
import { clockTicksPerSecond, cpuTimes, processCpuTicks, type CpuTimes } from './proc.ts';

export interface CpuSample {
  atMs: number;
  serverTicks: number;
  generatorTicks: number;
  /** [server CPU, generator CPU] when pinned; [whole machine] when not. */
  cpus: CpuTimes[];
}

export interface CpuShare {
  /** Share of the CPU's time that something ran (every process, softirq, steal). */
  busy: number;
  /** Share in softirq: mostly loopback network processing, i.e. this bench's own traffic. */
  softirq: number;
  /** Share that went to neither our processes nor softirq: other people's load and steal. */
  foreign: number;
}

export interface CpuUsage {
  seconds: number;
  /** The server's CPU time over wall time, in cores: near 1 means it was saturated. */
  server: number;
  /** The generators' (workers' and this bench's) CPU time over wall time, in cores. */
  generators: number;
  /** The server's CPU and the generators' when pinned; both the whole machine when not. */
  serverCpu: CpuShare;
  generatorCpu: CpuShare;
}

export interface CpuLayout {
  pinned: boolean;
  serverCpu: number;
  generatorCpu: number;
}

function safeTicks(pid: number): number {
  try {
    return processCpuTicks(pid);
  } catch {
    return 0; // exited
  }
}

/** Generators are the worker pids plus this process (the orchestrator shares their CPU). */
export function sampleCpu(serverPid: number, generatorPids: readonly number[], layout: CpuLayout): CpuSample {
  let generatorTicks = safeTicks(process.pid);
  for (const pid of generatorPids) generatorTicks += safeTicks(pid);
  return {
    atMs: performance.now(),
    serverTicks: safeTicks(serverPid),
    generatorTicks,
    cpus: layout.pinned ? [cpuTimes(layout.serverCpu), cpuTimes(layout.generatorCpu)] : [cpuTimes()],
  };
}

function share(before: CpuTimes, after: CpuTimes, oursTicks: number): CpuShare {
  const total = after.total - before.total;
  if (total <= 0) return { busy: 0, softirq: 0, foreign: 0 };
  const busy = after.busy - before.busy;
  const softirq = after.softirq - before.softirq;
  return { busy: busy / total, softirq: softirq / total, foreign: Math.max(0, busy - softirq - oursTicks) / total };
}

export function cpuUsage(before: CpuSample, after: CpuSample): CpuUsage {
  const seconds = (after.atMs - before.atMs) / 1000;
  const hz = clockTicksPerSecond();
  const serverTicks = after.serverTicks - before.serverTicks;
  const generatorTicks = after.generatorTicks - before.generatorTicks;
  let serverCpu: CpuShare;
  let generatorCpu: CpuShare;
  if (before.cpus.length === 2) {
    serverCpu = share(before.cpus[0]!, after.cpus[0]!, serverTicks);
    generatorCpu = share(before.cpus[1]!, after.cpus[1]!, generatorTicks);
  } else {
    serverCpu = generatorCpu = share(before.cpus[0]!, after.cpus[0]!, serverTicks + generatorTicks);
  }
  return {
    seconds,
    server: seconds > 0 ? serverTicks / hz / seconds : 0,
    generators: seconds > 0 ? generatorTicks / hz / seconds : 0,
    serverCpu,
    generatorCpu,
  };
}

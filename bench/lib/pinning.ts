// The two-CPU layout of the server benches: the server alone on CPU 0, the load generators and
// the orchestrating bench on CPU 1, when taskset exists and both CPUs are ours.

import { getAffinity, hasTaskset, parseCpuList, setAffinity } from './proc.ts';

export const SERVER_CPU = 0;
export const GENERATOR_CPU = 1;

export interface Pinning {
  pinned: boolean;
  why: string;
  serverCpu: number;
  generatorCpu: number;
  /** The CPU to pin a generator (or the server) to, undefined when not pinning. */
  server: number | undefined;
  generator: number | undefined;
  /** Pins this process to the generator CPU; restore() undoes it. */
  pinSelf(): void;
  restore(): void;
}

export function choosePinning(): Pinning {
  const unpinned = (why: string): Pinning => ({
    pinned: false,
    why,
    serverCpu: SERVER_CPU,
    generatorCpu: GENERATOR_CPU,
    server: undefined,
    generator: undefined,
    pinSelf: () => {},
    restore: () => {},
  });
  if (!hasTaskset()) return unpinned('taskset not found: running unpinned, figures are noisier');
  const original = getAffinity(process.pid);
  const cpus = parseCpuList(original);
  if (!cpus.includes(SERVER_CPU) || !cpus.includes(GENERATOR_CPU)) {
    return unpinned(`CPUs ${SERVER_CPU} and ${GENERATOR_CPU} are not both available (affinity ${original}): running unpinned`);
  }
  return {
    pinned: true,
    why: `server on CPU ${SERVER_CPU}; generators and this orchestrator on CPU ${GENERATOR_CPU}`,
    serverCpu: SERVER_CPU,
    generatorCpu: GENERATOR_CPU,
    server: SERVER_CPU,
    generator: GENERATOR_CPU,
    pinSelf: () => setAffinity(process.pid, String(GENERATOR_CPU)),
    restore: () => setAffinity(process.pid, original),
  };
}

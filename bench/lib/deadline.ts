/**
 * Every benchmark is bounded in time: past `ms` it says so and exits 1. process.exit runs the exit
 * handlers, so children.ts kills the server and workers by pid and the netns fixture deletes its
 * namespaces. Clear the returned timer when the benchmark is done.
 */
export function benchDeadline(name: string, ms: number): NodeJS.Timeout {
  const deadline = setTimeout(() => {
    process.stderr.write(`${name}: still running after ${ms / 1000} s: giving up\n`);
    process.exit(1);
  }, ms);
  deadline.unref();
  return deadline;
}

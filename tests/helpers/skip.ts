// A test that needs something this machine lacks (root, namespaces, a tool) skips with a visible
// reason; under PARLOR_STRICT=1, which .ci/run sets, the same lack is a failure, because CI runs as
// root with everything installed and must really run these tests.

export function skipOrFail(context: Mocha.Context, reason: string): never {
  if (process.env.PARLOR_STRICT === '1') {
    throw new Error(`cannot run this test: ${reason} (PARLOR_STRICT=1 turns this skip into a failure)`);
  }
  console.log(`      (skipped: ${reason})`);
  context.skip();
}

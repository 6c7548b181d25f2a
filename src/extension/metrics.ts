// Timings the test API reads (src/extension/testApi.ts): the Container has them in test builds only
// (`__SENTINEL_TEST__`; esbuild drops them from the production build); the log carries the same figures in every
// build.

export interface Metrics {
  /** Wall time of activate() itself. */
  activateMs: number;
  /** CPU time of the extension host process during activate() (unlike wall time, not stretched by a busy machine). */
  activateCpuMs: number;
  /** From the start of activate() to the first render of the Sessions tree with sessions in it. */
  firstTreeRenderMs: number | undefined;
  /** From activate() to the server being usable (spawned, reused or connected). */
  serverReadyMs: number | undefined;
  /** Per attach: from the request to the first bytes of the screen. */
  attachToFirstScreenMs: number[];
}

/** The Container's timings in a test build (none yet). */
export function newMetrics(): Metrics {
  return {
    activateMs: 0,
    activateCpuMs: 0,
    firstTreeRenderMs: undefined,
    serverReadyMs: undefined,
    attachToFirstScreenMs: [],
  };
}

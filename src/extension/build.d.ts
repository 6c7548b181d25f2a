/**
 * Replaced at build time by scripts/build.mjs: `true` in `npm run build`, where the test hooks are compiled in
 * (and still returned only to the test host, src/extension/testApi.ts); `false` in the production build
 * (`--production`, what `npm run package` ships), where esbuild removes them.
 */
declare const __SENTINEL_TEST__: boolean;

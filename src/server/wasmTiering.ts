// Process-wide V8 setting for the WASM SQLite engine, imported first by the CLI so it applies before the engine
// loads. V8's optimising WASM tier recompiles SQLite's hot functions while the server starts, on the same two
// cores the server needs: measured here it cost about 220 ms of a 850 ms cold start, and made a 10k-row upsert
// burst 3x slower, while the baseline (Liftoff) code runs our small queries as fast. See docs/decisions/0005.
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--liftoff-only");

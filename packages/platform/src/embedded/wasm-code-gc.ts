import v8 from 'node:v8';

/**
 * Turns off V8's garbage collection of Wasm code in this process. Node 24's V8 can free Wasm code
 * that a tier-up still uses and abort with `Check failed: jit_page_->allocations_.erase(addr) == 1`
 * (nodejs/node#66366); PGlite is Wasm. V8 reads the flag each time code dies, not once at start,
 * so setting it at run time covers a process started without `--no-wasm-code-gc` (an installed
 * `mosaic serve`, a library user). Dead code kept costs nothing measurable next to one long-lived
 * database. Idempotent.
 */
export function keepWasmCode(): void {
  v8.setFlagsFromString('--no-wasm-code-gc');
}

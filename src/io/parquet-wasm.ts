/** The Parquet decoder (Rust's arrow-rs parquet reader, compiled to WebAssembly), loaded once per thread on first use. */
import { createRequire } from 'node:module';

type ParquetWasm = typeof import('parquet-wasm/node');
let loaded: ParquetWasm | null = null;

export function parquetWasm(): ParquetWasm {
  // Its Node build is CommonJS and instantiates the module synchronously when required.
  loaded ??= createRequire(import.meta.url)('parquet-wasm/node') as ParquetWasm;
  return loaded;
}

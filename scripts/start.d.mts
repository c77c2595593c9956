// Types of scripts/start.mjs, for tests that reuse its Electron-binary detection and native build.
export declare const SQLITE_BINDING_ENV: string;
export declare const NATIVE_DIR: string;
export declare const NATIVE_BINDING: string;
export declare const NO_ELECTRON_LINE: string;
export declare function findElectronBinary(dir?: string, env?: NodeJS.ProcessEnv): string | null;
export declare function outIsStale(dir?: string): boolean;
export declare function buildIfStale(): void;
export declare function checkElectronAbi(
  binding: string,
  electronBin: string | null,
): { ok: true } | { ok: false; why: string };
export declare function prepareNative(electronBin: string | null): Promise<string>;

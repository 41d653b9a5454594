/** Mamba's public API. */
export { MambaError, ERROR_CODES } from './errors.js';
export type { MambaErrorCode, CorruptionDetail } from './errors.js';

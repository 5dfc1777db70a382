/**
 * Config files of tensorflow_model_server, parsed and validated: text format
 * (text-format.ts), the rules in schemas/config (validation.ts), and one module per kind.
 */
export * from './types.js';
export * from '../proto/text-format.js';
export * from './validation.js';
export * from './model-server-config.js';
export * from './batching.js';
export * from './monitoring.js';
export * from './ssl.js';
export * from './validate-files.js';

export * from './counter.js';
export * from './describe.js';
export * from './detector.js';
export type * from './types.js';

export * from './detector.js';

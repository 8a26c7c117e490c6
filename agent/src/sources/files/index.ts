export { FileLogSource, type FileLogSourceOptions } from './file-source.js';
export { compileExcludes, Glob } from './glob.js';

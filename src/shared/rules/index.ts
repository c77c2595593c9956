// Rule engine: parse, print, compile, evaluate (violations, explanations, fixes), co-occurrence, decoding.
export * from './ast';
export * from './parser';
export * from './printer';
export * from './compile';
export * from './facts';
export * from './evaluate';
export * from './cooccurrence';
export * from './decode';
export { closest } from './suggest';
export * from './clauses';

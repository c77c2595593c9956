// Canonical vocabularies and per-dataset mappings: the one source of truth for names across the app.
export * from './celeba';
export * from './demographics';
export * from './expression';
export * from './parsing';
export * from './labels';

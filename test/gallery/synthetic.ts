/** Seeded synthetic unit embeddings (shared with the benchmarks, which own them). */
export * from '../../bench/synthetic.js';

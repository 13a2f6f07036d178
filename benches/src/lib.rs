//! Criterion benchmarks of Awal stages, each beside its peer.

#pragma once
/*
 * bench_selftest: checks of the load generator's own parsing (bench_http) and arithmetic
 * (bench_stats), fed whole and byte by byte. `lookout-bench --self-test` runs them and bench/run
 * runs that first, so a broken reader cannot produce a plausible-looking table.
 */

/* Run every check; print one line per failure to stderr. Returns the number of failures. */
int bench_selftest(void);

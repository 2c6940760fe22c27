#pragma once

// Deliberately broken broker behaviour, for showing that the chaos checker (tests/chaos) fails
// on a broker that breaks its promises: a check that cannot fail proves nothing. Compiled in
// only in the test build (VLTAVA_SANITIZE); there a switch is on when the environment variable
// VLTAVA_SABOTAGE names it (comma-separated). Elsewhere every switch is off, whatever the
// environment says.

#include <chrono>

namespace vltava::test_sabotage {

enum class breakage {
  // A retried idempotent batch is appended again instead of answered as the duplicate it is.
  skip_deduplication,
};

// Whether `b` is switched on; the first time one is, it is logged as an error.
bool on(breakage b);

// A slow disk, switched at run time (tests/chaos's slow-disk fault): when the environment
// variable VLTAVA_SLOW_FSYNC_FILE names a file that exists, each fdatasync first waits the
// number of milliseconds the file holds. Zero in other builds, or without the file.
std::chrono::milliseconds fsync_delay();

}  // namespace vltava::test_sabotage

#pragma once

// Deliberately broken broker behaviour, for showing that the chaos checker (tests/chaos) fails
// on a broker that breaks its promises: a check that cannot fail proves nothing. Compiled in
// only in the test build (VLTAVA_SANITIZE); there a switch is on when the environment variable
// VLTAVA_SABOTAGE names it (comma-separated). Elsewhere every switch is off, whatever the
// environment says.

namespace vltava::test_sabotage {

enum class breakage {
  // A retried idempotent batch is appended again instead of answered as the duplicate it is.
  skip_deduplication,
};

// Whether `b` is switched on; the first time one is, it is logged as an error.
bool on(breakage b);

}  // namespace vltava::test_sabotage

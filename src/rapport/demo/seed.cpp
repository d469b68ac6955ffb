#include <rapport/demo/seed.hpp>

namespace rapport::demo {

Result<SeedSummary> seed_demo(store::Store& store, const SeedOptions& options) {
  (void)store;
  (void)options;
  return fail(Error::internal("the demo generator is not written yet"));
}

}  // namespace rapport::demo

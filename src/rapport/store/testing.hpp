#pragma once
// For unit tests: a fresh, migrated store in a temporary directory, removed afterwards.
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include <rapport/store/store.hpp>

namespace rapport::store {

class TempStore {
 public:
  TempStore() {
    std::random_device rd;
    m_dir = std::filesystem::temp_directory_path() / ("rapport-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(m_dir);
    auto s = Store::open((m_dir / "test.db").string());
    if (!s) throw std::runtime_error("cannot open test store: " + s.error().message);
    m_store = std::move(*s);
  }
  ~TempStore() {
    m_store.reset();
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }
  Store& operator*() { return *m_store; }
  Store* operator->() { return m_store.get(); }
  std::filesystem::path dir() const { return m_dir; }

 private:
  std::filesystem::path m_dir;
  std::unique_ptr<Store> m_store;
};

}  // namespace rapport::store

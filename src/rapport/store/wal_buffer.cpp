#include <rapport/store/wal_buffer.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

namespace rapport::store {

namespace {

// A bigger commit is written out in pieces of about this size. The unix VFS writes at most
// 128 KiB - 1 bytes in one call (it masks the length to 17 bits, as SQLite never writes more than
// a 64 KiB page), so this must stay below that. A batch of 16 creates (about 250 KB) is 3 writes.
constexpr std::size_t k_capacity = 120 * 1024;
constexpr int k_frame_header = 24;

sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs;

// Our part of an open WAL file; the platform VFS's file object follows it in the same allocation.
struct WalFile {
  sqlite3_file base;  // what SQLite sees: pMethods is k_methods
  std::vector<char>* buffer;
  sqlite3_int64 start;    // the file offset of buffer[0]
  sqlite3_int64 end;      // the end of the furthest write since the WAL (re)started
  bool commit_page_next;  // the last write appended a commit frame's header
  int error;              // a failed write-out: every later write, sync and read fails with it
  sqlite3_file* inner() { return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(this) + inner_offset()); }
  static constexpr std::size_t inner_offset() { return (sizeof(WalFile) + 7) & ~std::size_t{7}; }
};

WalFile* wal(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }
const sqlite3_io_methods* io(WalFile* w) { return w->inner()->pMethods; }

std::atomic<uint64_t> g_late_flushes{0};

int flush(WalFile* w) {
  w->commit_page_next = false;
  if (w->error != SQLITE_OK) return w->error;
  if (w->buffer->empty()) return SQLITE_OK;
  int rc = io(w)->xWrite(w->inner(), w->buffer->data(), static_cast<int>(w->buffer->size()), w->start);
  w->buffer->clear();
  // Some of SQLite's calls that would write it out ignore their result (size hints, the WAL size
  // limit): remember the failure so the commit's own write or the next sync reports it.
  if (rc != SQLITE_OK) w->error = rc;
  return rc;
}

int x_close(sqlite3_file* f) {
  auto* w = wal(f);
  int rc = flush(w);
  int rc2 = io(w)->xClose(w->inner());
  delete w->buffer;
  w->buffer = nullptr;
  return rc != SQLITE_OK ? rc : rc2;
}

int x_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  auto* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return io(w)->xRead(w->inner(), out, amount, offset);
}

int x_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  auto* w = wal(f);
  if (w->error != SQLITE_OK) return w->error;
  auto& buf = *w->buffer;
  const bool page_of_commit = w->commit_page_next;
  w->commit_page_next = false;
  if (offset == 0) w->end = 0;  // the WAL header: the WAL starts over, its frames follow from here
  if (offset < w->end) {
    // Rewriting what is already written (a page changed again after its frame spilled, or the
    // checksums redone after the commit frame): straight through, so nothing written before the
    // commit was published can stay behind in the buffer.
    if (int rc = flush(w); rc != SQLITE_OK) return rc;
    return io(w)->xWrite(w->inner(), data, amount, offset);
  }
  const bool continues = !buf.empty() && offset == w->start + static_cast<sqlite3_int64>(buf.size());
  if (!continues || buf.size() + static_cast<std::size_t>(amount) > k_capacity) {
    if (int rc = flush(w); rc != SQLITE_OK) return rc;
  }
  w->end = std::max(w->end, offset + amount);
  if (static_cast<std::size_t>(amount) > k_capacity) return io(w)->xWrite(w->inner(), data, amount, offset);
  if (buf.empty()) w->start = offset;
  const auto* bytes = static_cast<const char*>(data);
  buf.insert(buf.end(), bytes, bytes + amount);
  if (page_of_commit) return flush(w);  // out before the WAL index says the commit is there
  if (amount == k_frame_header) {
    uint32_t commit_size = 0;  // big-endian, bytes 4-7
    for (int i = 4; i < 8; ++i) commit_size = (commit_size << 8) | static_cast<unsigned char>(bytes[i]);
    w->commit_page_next = commit_size != 0;
  }
  return SQLITE_OK;
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  auto* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  w->end = std::min(w->end, size);
  return io(w)->xTruncate(w->inner(), size);
}

int x_sync(sqlite3_file* f, int flags) {
  auto* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return io(w)->xSync(w->inner(), flags);
}

int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  auto* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return io(w)->xFileSize(w->inner(), size);
}

int x_lock(sqlite3_file* f, int level) { return io(wal(f))->xLock(wal(f)->inner(), level); }
int x_unlock(sqlite3_file* f, int level) { return io(wal(f))->xUnlock(wal(f)->inner(), level); }
int x_check_reserved(sqlite3_file* f, int* out) { return io(wal(f))->xCheckReservedLock(wal(f)->inner(), out); }

int x_file_control(sqlite3_file* f, int op, void* arg) {
  auto* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return io(w)->xFileControl(w->inner(), op, arg);
}

int x_sector_size(sqlite3_file* f) { return io(wal(f))->xSectorSize(wal(f)->inner()); }
int x_device_characteristics(sqlite3_file* f) { return io(wal(f))->xDeviceCharacteristics(wal(f)->inner()); }

// Version 1: shared memory and memory mapping belong to the database file, which is the platform
// VFS's own object; SQLite asks neither of a WAL file.
const sqlite3_io_methods k_methods = {
    1,           x_close,       x_read,          x_write,          x_truncate,    x_sync,
    x_file_size, x_lock,        x_unlock,        x_check_reserved, x_file_control, x_sector_size,
    x_device_characteristics,
};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  if (!(flags & SQLITE_OPEN_WAL)) return g_base->xOpen(g_base, name, f, flags, out_flags);  // theirs, as is
  auto* w = wal(f);
  w->base.pMethods = nullptr;
  auto* buffer = new (std::nothrow) std::vector<char>();
  if (!buffer) return SQLITE_NOMEM;
  int rc = g_base->xOpen(g_base, name, w->inner(), flags, out_flags);
  if (rc != SQLITE_OK || !w->inner()->pMethods) {
    // SQLite closes a failed open only if pMethods is set; ours stays null, so close theirs here.
    if (w->inner()->pMethods) w->inner()->pMethods->xClose(w->inner());
    delete buffer;
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  w->buffer = buffer;
  w->start = 0;
  w->end = 0;
  w->commit_page_next = false;
  w->error = SQLITE_OK;
  w->base.pMethods = &k_methods;
  return SQLITE_OK;
}

// The rest is the platform VFS's.
int x_delete(sqlite3_vfs*, const char* name, int sync_dir) { return g_base->xDelete(g_base, name, sync_dir); }
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) { return g_base->xAccess(g_base, name, flags, out); }
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_base->xFullPathname(g_base, name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) { return g_base->xDlOpen(g_base, name); }
void x_dl_error(sqlite3_vfs*, int n, char* out) { g_base->xDlError(g_base, n, out); }
void (*x_dl_sym(sqlite3_vfs*, void* handle, const char* name))(void) { return g_base->xDlSym(g_base, handle, name); }
void x_dl_close(sqlite3_vfs*, void* handle) { g_base->xDlClose(g_base, handle); }
int x_randomness(sqlite3_vfs*, int n, char* out) { return g_base->xRandomness(g_base, n, out); }
int x_sleep(sqlite3_vfs*, int us) { return g_base->xSleep(g_base, us); }
int x_current_time(sqlite3_vfs*, double* out) { return g_base->xCurrentTime(g_base, out); }
int x_get_last_error(sqlite3_vfs*, int n, char* out) { return g_base->xGetLastError(g_base, n, out); }
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) { return g_base->xCurrentTimeInt64(g_base, out); }
int x_set_system_call(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr fn) {
  return g_base->xSetSystemCall(g_base, name, fn);
}
sqlite3_syscall_ptr x_get_system_call(sqlite3_vfs*, const char* name) { return g_base->xGetSystemCall(g_base, name); }
const char* x_next_system_call(sqlite3_vfs*, const char* name) { return g_base->xNextSystemCall(g_base, name); }

}  // namespace

int flush_wal_buffer(sqlite3* db) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &file) != SQLITE_OK || !file ||
      file->pMethods != &k_methods)
    return SQLITE_OK;
  auto* w = wal(file);
  if (w->buffer->empty() && w->error == SQLITE_OK) return SQLITE_OK;
  if (!w->buffer->empty()) g_late_flushes++;
  return flush(w);
}

uint64_t wal_buffer_late_flushes() { return g_late_flushes.load(); }

void register_wal_buffer_vfs() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_base = sqlite3_vfs_find(nullptr);
    g_vfs = sqlite3_vfs{};
    g_vfs.iVersion = std::min(g_base->iVersion, 3);
    g_vfs.szOsFile = static_cast<int>(
        std::max<std::size_t>(static_cast<std::size_t>(g_base->szOsFile), WalFile::inner_offset() + g_base->szOsFile));
    g_vfs.mxPathname = g_base->mxPathname;
    g_vfs.zName = k_wal_buffer_vfs;
    g_vfs.xOpen = x_open;
    g_vfs.xDelete = x_delete;
    g_vfs.xAccess = x_access;
    g_vfs.xFullPathname = x_full_pathname;
    g_vfs.xDlOpen = x_dl_open;
    g_vfs.xDlError = x_dl_error;
    g_vfs.xDlSym = x_dl_sym;
    g_vfs.xDlClose = x_dl_close;
    g_vfs.xRandomness = x_randomness;
    g_vfs.xSleep = x_sleep;
    g_vfs.xCurrentTime = x_current_time;
    g_vfs.xGetLastError = x_get_last_error;
    g_vfs.xCurrentTimeInt64 = x_current_time_int64;
    g_vfs.xSetSystemCall = x_set_system_call;
    g_vfs.xGetSystemCall = x_get_system_call;
    g_vfs.xNextSystemCall = x_next_system_call;
    sqlite3_vfs_register(&g_vfs, 0);
  });
}

}  // namespace rapport::store

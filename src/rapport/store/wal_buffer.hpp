#pragma once
// A SQLite VFS, "rapport", that wraps the platform's own and gathers the writes to a WAL file into
// one write per commit. Every other file (the database, its shared memory, temporary files) is
// the platform VFS's own object, untouched.
//
// Why by hand: SQLite writes each WAL frame as two calls, its 24-byte header and then its page, so
// a batch of 8 ticket creates (about 50 pages over the tickets, comments, audits, events, tags and
// full-text b-trees) made about 100 pwrite calls. On the bench machine a system call costs several
// microseconds, and those calls were 14% of the writer thread's time, the thread every write
// waits for. No SQLite option or library gathers them.
//
// Kept true: a frame is in the file before anyone can need it. Only appends to the WAL (writes at
// or past the end of everything written since the WAL last started over) are gathered, and they
// are written out
// - after the page of a commit frame (the frame header's "database size after commit" is not
//   zero: https://www.sqlite.org/fileformat.html#wal_file_format), so before SQLite publishes the
//   commit in the WAL index, where other connections and processes look for frames;
// - before any read, size, sync, truncate or file control of that file, before a write that does
//   not continue them or would pass the capacity (120 KiB), and when the file closes.
// A rewrite of what is already written (a page changed again after its frame spilled, checksums
// redone after the commit frame) goes straight to the file. A failed write-out fails every later
// write and sync of that file, so a commit cannot be answered over it.
#include <cstdint>

struct sqlite3;

namespace rapport::store {

// Registers the VFS (once; later calls return at once). Conn::open opens every connection with it.
void register_wal_buffer_vfs();

// Writes out whatever `db`'s WAL file still holds; the writer calls it after every COMMIT as a
// guard. Returns a SQLite result code. Holding anything then is a bug of this file (the commit was
// published before its frames were written); wal_buffer_late_flushes() counts those, for tests.
int flush_wal_buffer(sqlite3* db);
uint64_t wal_buffer_late_flushes();
inline constexpr const char* k_wal_buffer_vfs = "rapport";

}  // namespace rapport::store

#ifndef REBIND_CSQLITESETUP_H
#define REBIND_CSQLITESETUP_H

/// Sets SQLite's process-wide options before its first connection opens (sqlite3_config is
/// variadic, so Swift cannot call it): multi-thread mode, as GRDB serialises each connection's
/// use itself, so SQLite takes no mutex per call; and no memory statistics, so its allocator
/// takes no global mutex per allocation. Returns SQLITE_OK, or SQLITE_MISUSE when SQLite was
/// already initialised in this process (its options are then left as they were).
int rebind_sqlite_setup(void);

#endif

#ifndef REBIND_CSQLITESETUP_H
#define REBIND_CSQLITESETUP_H

/// Sets SQLite's process-wide options before its first connection opens (sqlite3_config is
/// variadic, so Swift cannot call it): no memory statistics, so SQLite's allocator takes no
/// global mutex per allocation (nothing here reads them). Connections need no setting of their
/// own: GRDB opens each one without its mutex (SQLITE_OPEN_NOMUTEX) and serialises its use.
/// Returns SQLITE_OK, or SQLITE_MISUSE when SQLite was already initialised in this process (its
/// options are then left as they were).
int rebind_sqlite_setup(void);

#endif

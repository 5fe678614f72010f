#include "CSQLiteSetup.h"
#include <sqlite3.h>

int rebind_sqlite_setup(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

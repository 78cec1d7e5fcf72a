# The guest side: the site kernel (to come) and its web stack.
# Each part keeps its rules in its own fragment, included from here.

# --- web stack (guest/http): freestanding library, host tests, fuzzers ---
include guest/http/http.mk

# --- Lua and SQLite for the site kernel (guest/libs) ---
include guest/libs/libs.mk

# --- the site kernel (guest/kernel): links the web stack and Lua above ---
include guest/kernel/kernel.mk

# --- the SQLite VFS over the data disk (guest/db): needs libs.mk's amalgamation ---
include guest/db/db.mk

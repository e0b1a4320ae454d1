// Lua is C: it raises errors and yields by longjmp, which skips the destructors
// of C++ objects in the frames it leaves. A std::string alive in a native
// function at luaL_error or lua_yield leaks (LeakSanitizer found one per
// request and per refused call). So a native function with C++ objects runs
// through guarded(): it throws LuaFailure for an error and returns kYield to
// yield, and guarded() raises or yields once all of its objects are gone.
// Inside such a function, luaL_check* calls come before any C++ object.
#pragma once

#include <lua.hpp>

#include <stdexcept>

namespace lampi::load {

struct LuaFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

inline constexpr int kYield = -1;

template <int (*Native)(lua_State*)>
int guarded(lua_State* L) {
    int result = 0;
    bool failed = false;
    try {
        result = Native(L);
    } catch (const LuaFailure& e) {
        luaL_where(L, 1);  // "file:line: ", as luaL_error says it
        lua_pushstring(L, e.what());
        lua_concat(L, 2);
        failed = true;
    }
    if (failed) return lua_error(L);
    if (result == kYield) return lua_yield(L, 0);
    return result;
}

}  // namespace lampi::load

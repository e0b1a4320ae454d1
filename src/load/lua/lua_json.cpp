#include "lua/lua_json.h"

#include <fmt/core.h>
#include <lua.hpp>

#include <boost/json.hpp>

#include <cmath>
#include "lua/lua_guard.h"

namespace lampi::load::lua {
namespace {

constexpr int kMaxDepth = 64;

Status to_value(lua_State* L, int index, int depth, boost::json::value& out);

Status table_to_value(lua_State* L, int index, int depth, boost::json::value& out) {
    if (depth > kMaxDepth) return Status::error("nested more than 64 deep (a table that holds itself?)");
    // Each level holds a table, a key and a value on Lua's stack, which grows
    // only when asked: lua_checkstack grows it without raising (a raise would
    // longjmp past the JSON values this encoder holds; lua_guard.h).
    if (lua_checkstack(L, 4) == 0) return Status::error("nested too deep for Lua's stack");
    index = lua_absindex(L, index);
    auto length = static_cast<lua_Integer>(lua_rawlen(L, index));
    lua_Integer keys = 0;
    bool only_sequence = length > 0;
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
        ++keys;
        if (lua_type(L, -2) != LUA_TNUMBER || !lua_isinteger(L, -2)) only_sequence = false;
        lua_pop(L, 1);
    }
    if (only_sequence && keys == length) {
        boost::json::array array;
        array.reserve(static_cast<std::size_t>(length));
        for (lua_Integer i = 1; i <= length; ++i) {
            lua_rawgeti(L, index, i);
            boost::json::value item;
            Status s = to_value(L, -1, depth + 1, item);
            lua_pop(L, 1);
            if (!s) return s;
            array.push_back(std::move(item));
        }
        out = std::move(array);
        return Status::ok();
    }
    boost::json::object object;
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
        int key_type = lua_type(L, -2);
        if (key_type != LUA_TSTRING && key_type != LUA_TNUMBER) {
            lua_pop(L, 2);
            return Status::error(fmt::format("a {} key: JSON keys are strings", lua_typename(L, key_type)));
        }
        lua_pushvalue(L, -2);  // tostring on a copy, so lua_next's key stays a number
        std::string key = lua_tostring(L, -1);
        lua_pop(L, 1);
        boost::json::value item;
        Status s = to_value(L, -1, depth + 1, item);
        lua_pop(L, 1);
        if (!s) {
            lua_pop(L, 1);
            return s;
        }
        object[key] = std::move(item);
    }
    out = std::move(object);
    return Status::ok();
}

Status to_value(lua_State* L, int index, int depth, boost::json::value& out) {
    switch (lua_type(L, index)) {
        case LUA_TNIL: out = nullptr; return Status::ok();
        case LUA_TBOOLEAN: out = lua_toboolean(L, index) != 0; return Status::ok();
        case LUA_TNUMBER:
            if (lua_isinteger(L, index)) {
                out = static_cast<std::int64_t>(lua_tointeger(L, index));
            } else {
                double d = lua_tonumber(L, index);
                if (!std::isfinite(d)) return Status::error("a number that is not finite");
                out = d;
            }
            return Status::ok();
        case LUA_TSTRING: {
            std::size_t n = 0;
            const char* s = lua_tolstring(L, index, &n);
            out = boost::json::string(s, n);
            return Status::ok();
        }
        case LUA_TTABLE: return table_to_value(L, index, depth, out);
        default: return Status::error(fmt::format("a {} has no JSON form", luaL_typename(L, index)));
    }
}

void push_value(lua_State* L, const boost::json::value& v) {
    luaL_checkstack(L, 3, "JSON nested too deep");
    switch (v.kind()) {
        case boost::json::kind::null: lua_pushnil(L); return;
        case boost::json::kind::bool_: lua_pushboolean(L, v.get_bool() ? 1 : 0); return;
        case boost::json::kind::int64: lua_pushinteger(L, v.get_int64()); return;
        case boost::json::kind::uint64: lua_pushnumber(L, static_cast<double>(v.get_uint64())); return;
        case boost::json::kind::double_: lua_pushnumber(L, v.get_double()); return;
        case boost::json::kind::string: lua_pushlstring(L, v.get_string().data(), v.get_string().size()); return;
        case boost::json::kind::array: {
            const auto& array = v.get_array();
            lua_createtable(L, static_cast<int>(array.size()), 0);
            lua_Integer i = 0;
            for (const auto& item : array) {
                push_value(L, item);
                lua_rawseti(L, -2, ++i);
            }
            return;
        }
        case boost::json::kind::object: {
            const auto& object = v.get_object();
            lua_createtable(L, 0, static_cast<int>(object.size()));
            for (const auto& [key, item] : object) {
                lua_pushlstring(L, key.data(), key.size());
                push_value(L, item);
                lua_rawset(L, -3);
            }
            return;
        }
    }
}

int lua_encode(lua_State* L) {
    luaL_checkany(L, 1);
    Result<std::string> text = encode_json(L, 1);
    if (!text) throw LuaFailure("json.encode: " + text.status().message());
    lua_pushlstring(L, text->data(), text->size());
    return 1;
}

int lua_decode(lua_State* L) {
    std::size_t n = 0;
    const char* text = luaL_checklstring(L, 1, &n);
    if (Status s = push_json(L, std::string_view(text, n)); !s) throw LuaFailure("json.decode: " + s.message());
    return 1;
}

}  // namespace

Result<std::string> encode_json(lua_State* L, int index) {
    boost::json::value value;
    if (Status s = to_value(L, index, 0, value); !s) return s;
    return boost::json::serialize(value);
}

Status push_json(lua_State* L, std::string_view text) {
    boost::json::parse_options options;
    options.max_depth = kMaxDepth;
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(text, ec, {}, options);
    if (ec) return Status::error(fmt::format("not JSON: {}", ec.message()));
    push_value(L, value);
    return Status::ok();
}

void open_json(lua_State* L) {
    const luaL_Reg functions[] = {{"encode", guarded<lua_encode>}, {"decode", guarded<lua_decode>}, {nullptr, nullptr}};
    luaL_newlib(L, functions);
    lua_setglobal(L, "json");
}

}  // namespace lampi::load::lua

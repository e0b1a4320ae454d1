// JSON to and from Lua values, through the project's one JSON codec (Boost.JSON).
//
// Tables whose keys are exactly 1..n (n > 0) become arrays, other tables
// objects (an empty table is {}); JSON null becomes nil. Nesting is bounded.
#pragma once

#include <string>

#include "lampi/status.h"

struct lua_State;

namespace lampi::load::lua {

// The JSON text of the value at `index`; an error names what could not be encoded.
Result<std::string> encode_json(lua_State* L, int index);
// Pushes the value `text` holds; on malformed text pushes nothing and returns the error.
Status push_json(lua_State* L, std::string_view text);

// Sets the global `json` table: json.encode(value), json.decode(text).
void open_json(lua_State* L);

}  // namespace lampi::load::lua

-- People steering their lamps the way the control page does, over the whole
-- platform (`./lampi up`): log in, fetch a broker login from the API, follow
-- the lamps' `changed` over MQTT, and send commands through the API.
--   lampi-load http --host http://127.0.0.1:8000 -u 50 -r 5 -t 5m -f src/load/scenarios/lamp_control.lua
-- The accounts in accounts.csv should own a lamp each; MQTT_PORT is the broker's
-- plain listener for people (1883 unless configured otherwise).

local MQTT_PORT = 1883
local accounts = csv("accounts.csv")
local log_in = require("lib.course_login")

wait = {2, 5}

function on_start(user)
  local account = accounts:next()
  log_in(user, account.username, account.password)
  local lamps = user:get("/api/v1/lamps").body
  user.lamps = lamps ~= "" and json.decode(lamps).lamps or {}
  local credential = user:get("/api/v1/mqtt-credential", {check = function(r)
    if r.status == 200 and not r:json().username then return "no username in the credential" end
  end})
  if not credential.ok then return end
  local login_info = credential:json()
  user.mqtt_client = user:mqtt{port = MQTT_PORT, username = login_info.username, password = login_info.password,
                               client_id = login_info.username}
  if user.mqtt_client then user.mqtt_client:subscribe("devices/+/lamp/changed", 1) end
end

-- A command through the API, then the lamp's `changed` over MQTT (counted as a request of its own).
local function set_brightness(user)
  if #user.lamps == 0 or not user.mqtt_client then return end
  local lamp = user.lamps[math.random(#user.lamps)]
  local started = os.clock()
  user:post("/api/v1/lamps/" .. lamp.device_id .. "/state", {
    json = {brightness = math.random()},
    headers = {["X-CSRFToken"] = user:cookie("csrftoken"), Referer = user:url("/")},
    name = "/api/v1/lamps/[id]/state",
    check = function(r) return r.status == 202 or nil end,
  })
  local changed = user.mqtt_client:receive(5)
  if not changed then error("no changed message within 5 s of a command (sent at " .. started .. ")") end
end

tasks = {
  {weight = 3, run = set_brightness},
  {weight = 1, run = function(user) user:get("/api/v1/lamps", {name = "/api/v1/lamps"}) end},
}

function on_stop(user)
  if user.mqtt_client then user.mqtt_client:disconnect() end
end

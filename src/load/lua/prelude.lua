-- What every Lua scenario runs on: the user's methods, the task loop, funnels.
-- Loaded before the scenario file with the native functions as its argument.
local native = ...

local User = {}
User.__index = User

local Response = {}
function Response:json() return json.decode(self.body) end
-- r.headers is made from the raw header lines on first use: most scenarios never
-- look, and a table per response is garbage for the collector to sweep.
Response.__index = function(response, key)
  if key ~= "headers" then return Response[key] end
  local headers = {}
  for name, value in (rawget(response, "header_lines") or ""):gmatch("([^\n:]*): ([^\n]*)\n") do
    headers[name] = value
  end
  rawset(response, "headers", headers)
  return headers
end

-- Locust's catch_response: `check` sees the response and returns true (a
-- success, whatever the status), false or a string (a failure, with the
-- string as its message), or nothing (the usual verdict: a status of 400 or
-- more, or no response, fails).
function User:request(method, path, options)
  local response = setmetatable(native.send(self, method, path, options), Response)
  local check = options and options.check
  if check then
    local verdict, why = check(response)
    if verdict == true then
      response.failure = nil
    elseif verdict == false then
      response.failure = native.check_failed(why or "check failed")
    elseif type(verdict) == "string" then
      response.failure = native.check_failed(verdict)
    end
  end
  response.ok = response.failure == nil
  native.record(self, response.failure)
  return response
end

for _, method in ipairs({"get", "post", "put", "patch", "delete", "head"}) do
  local upper = method:upper()
  User[method] = function(self, path, options) return self:request(upper, path, options) end
end

function User:sleep(seconds) native.sleep(self, seconds) end
function User:cookie(name) return native.cookie(self, name) end
function User:url(path) return native.url(self, path) end
-- An MQTT client of this user, connected: the client, or nil and why.
function User:mqtt(options)
  local client = native.mqtt(self, options or {})
  local ok, why = client:connect()
  if not ok then return nil, why end
  return client
end

-- funnel{step1, 0.6, step2, 0.25, step3}: step1, then step2 for 60 % of those
-- who did step1, then step3 for 25 % of those who did step2.
function funnel(steps)
  if type(steps) ~= "table" or type(steps[1]) ~= "function" then
    error("funnel{step, p, step, ...}: the first item must be a function", 2)
  end
  for i, item in ipairs(steps) do
    if i % 2 == 1 and type(item) ~= "function" then
      error(("funnel: item %d must be a step (a function), not a %s"):format(i, type(item)), 2)
    elseif i % 2 == 0 and (type(item) ~= "number" or item < 0 or item > 1) then
      error(("funnel: item %d must be the probability (0 to 1) of going on, not %s"):format(i, tostring(item)), 2)
    end
  end
  if #steps % 2 == 0 then error("funnel: it must end with a step, not a probability", 2) end
  return function(user)
    for i = 1, #steps, 2 do
      if i > 1 and math.random() >= steps[i - 1] then return end
      steps[i](user)
    end
  end
end

local task_list, total_weight = {}, 0
local wait_min, wait_max, wait_fn

local function wait_time(user)
  if wait_fn then return wait_fn(user) end
  return wait_min + math.random() * (wait_max - wait_min)
end

local function pick_task()
  local r = math.random() * total_weight
  for _, task in ipairs(task_list) do
    r = r - task.weight
    if r < 0 then return task.run end
  end
  return task_list[#task_list].run
end

local function guard(fn, user)
  local ok, message = xpcall(fn, native.where, user)
  if not ok then native.exception(user, message) end
end

-- Checks what the scenario defined once it ran: a mistake here is a setup error.
local function prepare(default_min, default_max)
  if type(tasks) ~= "table" or #tasks == 0 then
    error("the scenario defines no tasks: set tasks = { function(user) ... end, {weight = 3, run = ...} }", 0)
  end
  for i, task in ipairs(tasks) do
    local run, weight = task, 1
    if type(task) == "table" then run, weight = task.run or task[1], task.weight or 1 end
    if type(run) ~= "function" then
      error(("tasks[%d]: a function, or {weight = N, run = function(user) ... end}"):format(i), 0)
    end
    if type(weight) ~= "number" or weight <= 0 then error(("tasks[%d]: the weight must be above 0"):format(i), 0) end
    task_list[#task_list + 1] = {run = run, weight = weight}
    total_weight = total_weight + weight
  end
  if wait == nil then
    wait_min, wait_max = default_min, default_max
  elseif type(wait) == "number" and wait >= 0 then
    wait_min, wait_max = wait, wait
  elseif type(wait) == "table" and type(wait[1]) == "number" and type(wait[2]) == "number"
      and wait[1] >= 0 and wait[2] >= wait[1] then
    wait_min, wait_max = wait[1], wait[2]
  elseif type(wait) == "function" then
    wait_fn = wait
  else
    error("wait: seconds (5), a range ({5, 9}) or a function(user) returning seconds", 0)
  end
  for _, name in ipairs({"on_start", "on_stop"}) do
    local hook = _G[name]
    if hook ~= nil and type(hook) ~= "function" then error(name .. ": must be a function(user)", 0) end
  end
  return on_stop ~= nil
end

local function run(user)
  if on_start then guard(on_start, user) end
  while true do
    guard(pick_task(), user)
    local ok, seconds = xpcall(wait_time, native.where, user)
    if not ok then
      native.exception(user, seconds)
      seconds = wait_min or 1
    end
    native.sleep(user, seconds)
  end
end

local function stop(user) guard(on_stop, user) end

return {User = User, prepare = prepare, run = run, stop = stop}

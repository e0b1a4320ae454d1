-- The course's web flow as a Lua scenario, and a little more:
--   lampi-load http --host http://127.0.0.1:8000 -u 100 -r 10 -t 5m -f src/load/scenarios/course.lua
-- Each user logs in once with the next account of accounts.csv, then browses.

local accounts = csv("accounts.csv")  -- rows handed out in turn over every user

wait = {5, 9}  -- seconds between two tasks, as the course's locustfile

local log_in = require("lib.course_login")  -- modules are found beside the scenario

-- The page lists the user's lamps only when logged in; otherwise it redirects to the login form.
local function logged_in(page)
  if page.url:find("/accounts/login/", 1, true) then return "not logged in: redirected to " .. page.url end
end

function on_start(user)
  local account = accounts:next()
  user.name = account.username
  log_in(user, account.username, account.password)
end

-- A visit to the lamps' JSON, as the control page makes it.
local function lamps_api(user)
  user:get("/api/v1/lamps", {
    headers = {Accept = "application/json"},
    check = function(r)
      if r.status ~= 200 then return end
      local body = r:json()
      if type(body.lamps) ~= "table" then return "no lamps list in " .. r.body end
    end,
  })
end

tasks = {
  {weight = 6, run = function(user) user:get("/", {check = logged_in}) end},
  {weight = 2, run = lamps_api},
  -- Of those who open the API tokens, half list them, and a tenth of those log out and in again.
  {weight = 1, run = funnel{
    function(user) user:get("/", {check = logged_in}) end,
    0.5, function(user) user:get("/api/v1/tokens", {name = "/api/v1/tokens"}) end,
    0.1, function(user) user:post("/logout/", {form = {csrfmiddlewaretoken = user:cookie("csrftoken")},
                                             headers = {Referer = user:url("/")}})
                        on_start(user) end,
  }},
}

function on_stop(user)
  user:post("/logout/", {form = {csrfmiddlewaretoken = user:cookie("csrftoken")}, headers = {Referer = user:url("/")}})
end

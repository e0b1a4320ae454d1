-- The course's login as a browser makes it: the form's page (it sets the
-- csrftoken cookie), then the form with that token and Referer set to the page.
-- A module for scenarios: local log_in = require("lib.course_login")
local page = "/accounts/login/?next=/"

return function(user, username, password)
  user:get(page)
  return user:post(page, {
    form = {csrfmiddlewaretoken = user:cookie("csrftoken"), username = username, password = password},
    headers = {Referer = user:url(page)},
    check = function(r)
      -- A wrong password answers 200 with the form again: the user is not where a login leads.
      if r.status < 400 and r.url ~= user:url("/") then return "login did not reach / (ended at " .. r.url .. ")" end
    end,
  })
end

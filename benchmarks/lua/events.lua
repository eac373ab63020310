-- POST tracker events: `wrk -s events.lua URL -- EVENTS_PER_REQUEST PRODUCTS_FILE [PREFIX]`.
-- Every event is a ProductPage of a random known product by a visitor of its own web id
-- (PREFIX plus a counter), so the stored events can be counted after the run. One event
-- per request posts a JSON object, more post a JSON array of that many.
local per_request = 1
local products = {}
local prefix = "wrk"
local counter = 0
local headers = {["Content-Type"] = "application/json"}

function init(args)
  per_request = tonumber(args[1]) or 1
  for line in io.lines(args[2]) do
    if #line > 0 then
      products[#products + 1] = line
    end
  end
  prefix = args[3] or prefix
  math.randomseed(os.time())
end

local function event()
  counter = counter + 1
  return string.format(
    '{"GeneralInfo":{"eventName":"ProductPage","cookies":{"sc":"%s-%d"}},'
      .. '"ProductPage":{"Product":{"productKey":"%s","price":"2.55"}}}',
    prefix, counter % 5000, products[math.random(#products)]
  )
end

function request()
  local body
  if per_request == 1 then
    body = event()
  else
    local items = {}
    for i = 1, per_request do
      items[i] = event()
    end
    body = "[" .. table.concat(items, ",") .. "]"
  end
  return wrk.format("POST", "/api/v1/events", headers, body)
end

-- The figures as JSON (report.lua beside this file).
dofile(string.match(debug.getinfo(1, "S").source, "^@(.*/)") .. "report.lua")

-- GET a random path of a file, one path a line: `wrk -s paths.lua URL -- PATHS_FILE`.
-- Each request picks its own path, so one customer's answer is not cached client-side and
-- the server sees as many customers as the file names.
local paths = {}

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

-- The figures as JSON (report.lua beside this file).
dofile(string.match(debug.getinfo(1, "S").source, "^@(.*/)") .. "report.lua")

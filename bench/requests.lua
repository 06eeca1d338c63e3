-- wrk script: send the requests listed in a file, one per line: METHOD<TAB>PATH<TAB>COOKIE<TAB>BODY.
-- Arguments (after --): the file and the number of wrk threads. Thread n takes lines n, n+T, n+2T...
-- and sends them in order, starting over at the end (a write that cannot be repeated then fails
-- and is counted as an error, so a list that is too short shows up in the report).

local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

function init(args)
  local path, threads = args[1], tonumber(args[2])
  requests = {}
  local n = 0
  for line in io.lines(path) do
    if n % threads == thread_id then
      local method, target, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = { ["Cookie"] = cookie }
      if method == "POST" then
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      table.insert(requests, wrk.format(method, target, headers, body ~= "" and body or nil))
    end
    n = n + 1
  end
  position = 0
end

function request()
  position = position % #requests + 1
  return requests[position]
end

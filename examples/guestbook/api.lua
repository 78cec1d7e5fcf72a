-- The guestbook's API: GET /api/entries lists them (newest first),
-- POST /api/entries adds one ({"name": ..., "message": ...}),
-- DELETE /api/entries/ID removes one. Values reach SQL only as parameters.
local function reply(status, value)
  return status, { ["Content-Type"] = "application/json" }, json.encode(value) .. "\n"
end

return function(req)
  if req.path == "/api/entries" and req.method == "GET" then
    local limit = tonumber(req.query.limit) or 10
    return reply(200, db.query("SELECT id, name, message, created FROM entries ORDER BY id DESC LIMIT ?",
      math.max(1, math.min(100, limit // 1))))
  elseif req.path == "/api/entries" and req.method == "POST" then
    local e = json.decode(req.body)
    if type(e) ~= "table" or type(e.name) ~= "string" or type(e.message) ~= "string"
        or #e.name == 0 or #e.name > 100 or #e.message == 0 or #e.message > 2000 then
      return reply(400, { error = "send {\"name\": 1-100 bytes, \"message\": 1-2000 bytes}" })
    end
    local _, id = db.exec("INSERT INTO entries (name, message, created) VALUES (?, ?, ?)",
      e.name, e.message, os.time())
    return reply(201, { id = id })
  end
  local id = req.path:match("^/api/entries/(%d+)$")
  if id and req.method == "DELETE" then
    local n = db.exec("DELETE FROM entries WHERE id = ?", tonumber(id))
    return reply(n > 0 and 200 or 404, { deleted = n })
  end
  return reply(404, { error = "no such API" })
end

-- Shared by the bench/*.lua wrk scripts. It gives each wrk thread an id,
-- counts the answers by "STATUS FIRST-WORD" (a benchmark whose requests fail
-- is not a result, and dyndns2 failures such as dnserr still answer 200),
-- and ends with machine-readable BENCH lines that bench/run parses.
local M = {}

local threads = {}

-- Runs in wrk's main Lua state, once per thread, before that thread's init().
function setup(thread)
	thread:set("id", #threads)
	table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state).
counts = {}
sample = nil

function response(status, headers, body)
	local word = body and body:match("^(%S+)") or ""
	local key = tostring(status) .. " " .. word:sub(1, 24)
	counts[key] = (counts[key] or 0) + 1
	if sample == nil and not M.expected(status, word) then
		sample = tostring(status) .. " " .. (body or ""):sub(1, 200)
	end
end

-- Overridden by the scripts; only used to pick which body to keep as a sample.
function M.expected(status, word)
	return status == 200
end

local function json_string(s)
	return '"' .. s:gsub('[%c"\\]', function(c)
		return string.format("\\u%04x", c:byte())
	end) .. '"'
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"BENCH {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d,\"connect\":%d,\"read\":%d," ..
		"\"write\":%d,\"status\":%d,\"timeout\":%d,\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d," ..
		"\"max_us\":%d,\"mean_us\":%.1f}\n",
		summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
		e.status, e.timeout, latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency.max, latency.mean))
	for _, t in ipairs(threads) do
		local c = t:get("counts") or {}
		for k, v in pairs(c) do
			io.write("BENCHCOUNT " .. json_string(k) .. " " .. v .. "\n")
		end
		local s = t:get("sample")
		if s then
			io.write("BENCHSAMPLE " .. json_string(s) .. "\n")
		end
	end
end

-- Hosts file written by bench/run: "FQDN<TAB>AUTHORIZATION<TAB>ADDRESS" lines.
-- Thread t of n gets an equal slice, so concurrent requests of different
-- threads never name the same host.
function M.load_hosts(path, nthreads)
	local all = {}
	for line in io.lines(path) do
		local fqdn, auth, addr = line:match("^([^\t]+)\t([^\t]+)\t([^\t]*)$")
		if fqdn then
			table.insert(all, {fqdn = fqdn, auth = auth, addr = addr})
		end
	end
	local per = math.floor(#all / nthreads)
	assert(per >= 1, "fewer hosts than threads in " .. path)
	local mine = {}
	for i = id * per + 1, id * per + per do
		table.insert(mine, all[i])
	end
	return mine
end

return M

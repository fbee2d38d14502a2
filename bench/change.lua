-- wrk script for /nic/update with a new address on every request. Each
-- thread cycles through its own slice of hosts; the u-th use of a host in
-- this run sends 10.A.B.C with A.B.C = SALT * 2^20 + u + 1, so consecutive
-- requests for a host always differ, and so do runs with different salts.
-- Usage: wrk ... -s bench/change.lua http://127.0.0.1:PORT -- HOSTSFILE NTHREADS SALT
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("wrk_common")

local hosts, n, k, salt = nil, 0, 0, 0

function init(args)
	hosts = common.load_hosts(args[1], tonumber(args[2]))
	n = #hosts
	salt = tonumber(args[3])
	assert(salt >= 0 and salt < 15, "salt must be 0..14")
	common.expected = function(status, word)
		return status == 200 and word == "good"
	end
end

function request()
	local h = hosts[k % n + 1]
	local v = salt * 1048576 + math.floor(k / n) + 1
	k = k + 1
	local addr = string.format("10.%d.%d.%d", math.floor(v / 65536) % 256,
		math.floor(v / 256) % 256, v % 256)
	return wrk.format("GET", "/nic/update?hostname=" .. h.fqdn .. "&myip=" .. addr, {
		["Authorization"] = h.auth,
		["User-Agent"] = "nsupd-bench/1.0",
	})
end

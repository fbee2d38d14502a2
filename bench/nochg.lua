-- wrk script for /nic/update with an unchanged address: each thread cycles
-- through its own slice of hosts, each sent the address it already has.
-- Usage: wrk ... -s bench/nochg.lua http://127.0.0.1:PORT -- HOSTSFILE NTHREADS
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("wrk_common")

local hosts, n, k = nil, 0, 0

function init(args)
	hosts = common.load_hosts(args[1], tonumber(args[2]))
	n = #hosts
	common.expected = function(status, word)
		return status == 200 and word == "nochg"
	end
end

function request()
	local h = hosts[k % n + 1]
	k = k + 1
	return wrk.format("GET", "/nic/update?hostname=" .. h.fqdn .. "&myip=" .. h.addr, {
		["Authorization"] = h.auth,
		["User-Agent"] = "nsupd-bench/1.0",
	})
end

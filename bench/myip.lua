-- wrk script for GET /myip (nsupd and the nginx ceiling): a static request,
-- every answer must be "200 <client address>".
-- Usage: wrk ... -s bench/myip.lua http://127.0.0.1:PORT/myip -- EXPECTED_ADDRESS
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("wrk_common")

local expect = "127.0.0.1"

function init(args)
	expect = args[1] or expect
	common.expected = function(status, word)
		return status == 200 and word == expect
	end
end

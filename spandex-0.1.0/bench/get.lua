-- get.lua: the wrk script of bench/run's GET runs.
--   wrk -s get.lua URL -- PREFIX IDS   GETs PREFIX..id for ids drawn at random from file IDS
--   wrk -s get.lua URL                 GETs URL itself (the trivial and static references)
-- done() prints one "BENCH key=value ..." line that bench/run parses; every non-2xx answer
-- and socket error is counted there, so a fast stream of 404s cannot pass for a result.
local prefix, ids = nil, {}

function init(args)
	if args[1] then
		prefix = args[1]
		for line in io.lines(args[2]) do
			ids[#ids + 1] = line
		end
		assert(#ids > 0, "empty id list " .. args[2])
	end
	-- One seed per thread, so threads draw different sequences.
	math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
	if prefix then
		return wrk.format("GET", prefix .. ids[math.random(#ids)])
	end
	return wrk.format("GET")
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d sockerr=%d\n",
		summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
		e.status, e.connect + e.read + e.write + e.timeout))
end

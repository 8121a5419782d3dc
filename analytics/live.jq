# live.jq: the newest version of each span id, from the lines of spandex data files, one span
# per output line: what the API answers and counts. A span re-sent with the same id is a new
# line in the files; only the newest (latest ingested_at) is live. Run with -R (raw lines: the
# torn last line of a write in progress is skipped) and -n:
#   zstdcat -qcf DATA/*/*.jsonl DATA/*/*.jsonl.zst 2>/dev/null | jq -c -n -R -f live.jq
# then pipe into another jq, e.g. `jq -s 'map(.cost_total_usd // 0) | add'`. A deleted span
# (its newest version says raw_attributes {"spandex.deleted": true}) is left out, as the API
# leaves it out.

# ingested_at as a string that sorts like the time: RFC 3339 with 0 to 6 decimals, padded.
def when: .ingested_at | capture("^(?<s>[^.Z]*)(\\.(?<f>[0-9]+))?Z$")
	| .s + "." + (((.f // "") + "000000")[0:6]);

reduce (inputs | (try fromjson catch null) | objects | select(.span_id != null)) as $s ({};
	($s.workspace + "\u0000" + $s.span_id) as $k
	| if .[$k] == null or (.[$k] | when) < ($s | when) then .[$k] = $s else . end)
| .[]
| select(((.raw_attributes // "{}") | try fromjson catch {}) | .["spandex.deleted"] != true)

#!/bin/sh
# sizes: what a reader takes in at once (issue 53, "Names and sizes"). No C file of lib/ is over
# MAX_FILE lines, and no function in one over MAX_FUNCTION: a function counted from its first
# line at column 0 (its type and name) to its closing brace at column 0, the layout
# .clang-format gives every function (t/format.sh), blank and comment lines inside included.
# Longer: split it by what its parts do (docs/development.md, **Sizes**).
set -eu
src=${SPANDEX_SRCDIR:-$(dirname "$0")/..}
cd "$src"
MAX_FILE=800
MAX_FUNCTION=100
bad=0
find lib -name '*.c' | sort | xargs wc -l |
	awk -v max=$MAX_FILE '$2 != "total" && $1 > max { print; n++ } END { exit n > 0 }' || {
	echo "sizes: the C files above are over $MAX_FILE lines"
	bad=1
}
# A definition's head: a line at column 0 that opens a name's parentheses and is no
# declaration (no ';' at its end); the function is that line up to the next '}' at column 0.
find lib -name '*.c' | sort | xargs awk -v max=$MAX_FUNCTION '
	FNR == 1 { start = 0; body = 0 }
	/^[A-Za-z_].*\(/ && !/;[ \t]*$/ && !body { start = FNR; head = $0 }
	/^\{/ && start { body = 1 }
	/^\}/ && body {
		if (FNR - start + 1 > max) { print FILENAME ":" start ": " FNR - start + 1 " lines: " head; n++ }
		body = 0; start = 0
	}
	END { exit n > 0 }' || {
	echo "sizes: the functions above are over $MAX_FUNCTION lines"
	bad=1
}
exit $bad

# The registry of the programs, read alike by every configuration nginx/genconf and
# apache/genconf write (each puts this file ahead of its own awk program).
#
# load_programs(file) reads nginx/programs: route[r], rprog[r], rshape[r] and rws[r] (the
# program answering the r-th path, the shape of its errors and where it names its workspace),
# r = 1..nroute in the order of the file, the order in which nginx tries them; prog[p],
# p = 1..nprog, the programs. It reads first
# nginx/shapes (the file the variable shapes names): template[s] for each shape s, used[s]
# for those a program or a prefix has, shaped(s, code, text), an error's body in shape s, and
# prefix[i] with pshape[i], i = 1..nprefix, the APIs' prefixes and the shapes of their 404s.
# It returns 0 for a line it cannot use, having said which.
function load_shapes(file,   line, name, i) {
	while ((getline line < file) > 0) {
		if (line ~ /^[ \t]*(#|$)/)
			continue
		if (line ~ /^\^/) {
			name = line
			sub(/^[^\t]+\t+/, "", name)
			sub(/\t.*/, "", line)
			if (!path_ok(file, line) || name !~ /^[a-z]+$/) {
				printf "genconf: %s: bad prefix line: %s\t%s\n", file, line, name > "/dev/stderr"
				return 0
			}
			prefix[++nprefix] = line
			pshape[nprefix] = name
			continue
		}
		if (line !~ /^[a-z]+\t+[^\t\047\\]+$/) {
			printf "genconf: %s: bad line: %s\n", file, line > "/dev/stderr"
			return 0
		}
		name = line
		sub(/\t.*/, "", name)
		sub(/^[a-z]+\t+/, "", line)
		template[name] = line
		shapename[++nshape] = name
	}
	close(file)
	for (i = 1; i <= nprefix; i++) {
		if (!(pshape[i] in template)) {
			printf "genconf: %s: the prefix %s has the shape %s, which is not a line of it\n", file, prefix[i], pshape[i] > "/dev/stderr"
			return 0
		}
		used[pshape[i]] = 1
	}
	return ("detail" in template)
}
# Whether p may be a path of nginx/programs or a prefix of nginx/shapes (file's): a regular
# expression ^/..., with none of the characters that would end a directive of nginx or Apache.
function path_ok(file, p) {
	if (p ~ /^\^\// && p !~ /["\\\047;{} \t]/)
		return 1
	printf "genconf: %s: path %s must start with ^/ and hold none of \" \\ \047 ; { } or a space\n", file, p > "/dev/stderr"
	return 0
}
function shaped(s, code, text,   t, i, out) {
	t = template[s]
	gsub(/@CODE@/, code, t)
	out = ""
	while ((i = index(t, "@TEXT@")) > 0) {
		out = out substr(t, 1, i - 1) text
		t = substr(t, i + 6)
	}
	return out t
}
# Whether w is a workspace source of nginx/programs: -, or path, basic and header names
# separated by commas.
function ws_source(w) {
	return w == "-" || w ~ /^[A-Za-z][A-Za-z0-9-]*(,[A-Za-z][A-Za-z0-9-]*)*$/
}
function load_programs(file,   line, n, f, i, ws, paths) {
	if (!load_shapes(shapes))
		return 0
	while ((getline line < file) > 0) {
		if (line ~ /^[ \t]*(#|$)/)
			continue
		n = split(line, f, /[ \t]+/)
		if (n < 5 || f[2] !~ /^[0-9]+$/ || !(f[3] in template) || !ws_source(f[4])) {
			printf "genconf: %s: bad line: %s\n", file, line > "/dev/stderr"
			return 0
		}
		for (i = 4; i <= n; i++) {
			# A word that is not a path: the workspace source of the paths after it, each
			# source followed by one path at least.
			if (f[i] !~ /^\^/ && ws_source(f[i])) {
				if (i > 4 && !paths)
					break
				ws = f[i]
				paths = 0
				continue
			}
			if (!path_ok(file, f[i]))
				return 0
			if (ws ~ /(^|,)path(,|$)/ && !index(f[i], "[^/]+")) {
				printf "genconf: %s: path %s takes its workspace from the path and has no [^/]+\n", file, f[i] > "/dev/stderr"
				return 0
			}
			route[++nroute] = f[i]
			rprog[nroute] = f[1]
			rshape[nroute] = f[3]
			rws[nroute] = ws
			paths++
		}
		if (i <= n || !paths) {
			printf "genconf: %s: the workspace source %s has no path after it: %s\n", file, ws, line > "/dev/stderr"
			return 0
		}
		prog[++nprog] = f[1]
		used[f[3]] = 1
	}
	close(file)
	return 1
}
# The error pages of a shape that is not detail, from the detail ones before @SHAPED_ERRORS@:
# a "location = PREFIXdetail/KEY {" or "location = PREFIXKEY {" block whose return has a
# {"detail":"..."} body. Each becomes PREFIXshape/KEY in every other shape a program has.
function shaped_collect(line, prefix,   key, m) {
	if (index(line, "location = " prefix) && line ~ / \{$/) {
		key = line
		sub(/^.*location = /, "", key)
		sub(/ \{$/, "", key)
		key = substr(key, length(prefix) + 1)
		sub(/^detail\//, "", key)
		pend = key
		pendhdr = ""
	} else if (pend != "" && line ~ /add_header /) {
		pendhdr = line
		sub(/^[ \t]*/, "", pendhdr)
	} else if (pend != "" && match(line, /return [0-9]+ \047\{"detail":".*"\}\047;$/)) {
		m = substr(line, RSTART + 7, RLENGTH - 7)
		ekey[++nerr] = pend
		ecode[nerr] = substr(m, 1, index(m, " ") - 1)
		m = substr(m, index(m, "\047") + 12)
		etext[nerr] = substr(m, 1, length(m) - 4)
		ehdr[nerr] = pendhdr
		pend = ""
	} else if (line ~ /^[ \t]*\}$/)
		pend = ""
}
function shaped_locations(indent, prefix,   i, s, k, out) {
	out = ""
	for (i = 1; i <= nshape; i++) {
		s = shapename[i]
		if (s == "detail" || !(s in used))
			continue
		for (k = 1; k <= nerr; k++) {
			out = out indent "location = " prefix s "/" ekey[k] " {\n"
			if (ehdr[k] != "")
				out = out indent "\t" ehdr[k] "\n"
			out = out indent "\treturn " ecode[k] " \047" shaped(s, ecode[k], etext[k]) "\047;\n"
			out = out indent "}\n"
		}
	}
	return out
}
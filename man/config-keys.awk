# man/config-keys.awk: the KEYS section of nanolet.yaml(5), from configs/nanolet.yaml itself, so
# the man page and the example config cannot disagree. Each block of comment lines followed by
# one or more "key: value" lines becomes one entry (the keys as tags, the comment as its text);
# a "# ---- Title: text ----" line starts a subsection; a mapping's indented lines are shown as
# an example after the text. The file's first block (before the first
# blank line) is its own header, not a key's.
function roff(s) {
	gsub(/\\/, "\\e", s)
	if (s ~ /^[.']/)
		s = "\\&" s
	return s
}
function flush_keys() {
	if (nkeys == 0)
		return
	for (i = 1; i <= nkeys; i++) {
		print (i == 1 ? ".TP" : ".TQ")
		if (values[i] == "")
			print "\\fB" keys[i] "\\fR:"
		else
			print "\\fB" keys[i] "\\fR: \\fI" roff(values[i]) "\\fR"
	}
	for (i = 1; i <= ntext; i++)
		print roff(text[i])
	if (nnested > 0) {
		print ".RS"
		print ".PP"
		print ".EX"
		print roff(keys[nkeys] ":")
		for (i = 1; i <= nnested; i++)
			print roff(nested[i])
		print ".EE"
		print ".RE"
	}
	nkeys = 0
	ntext = 0
	nnested = 0
}
BEGIN { header = 1 }
header { if ($0 == "") header = 0; next }
/^# ----/ {
	flush_keys()
	t = $0
	sub(/^# -+ */, "", t)
	sub(/ *-+$/, "", t)
	split(t, parts, ": ")
	print ".SS " roff(parts[1])
	if (parts[2] != "")
		print roff(toupper(substr(parts[2], 1, 1)) substr(parts[2], 2)) "."
	next
}
/^#/ {
	if (nkeys > 0)
		flush_keys()
	line = $0
	sub(/^# ?/, "", line)
	text[++ntext] = line
	next
}
/^[a-z_]+:/ {
	k = $0
	sub(/:.*/, "", k)
	v = $0
	sub(/^[a-z_]+: */, "", v)
	keys[++nkeys] = k
	values[nkeys] = v
	next
}
/^  / && nkeys > 0 {
	nested[++nnested] = $0
	next
}
/^$/ { flush_keys(); next }
{ print "config-keys.awk: unexpected line " NR ": " $0 > "/dev/stderr"; exit 1 }
END { flush_keys() }

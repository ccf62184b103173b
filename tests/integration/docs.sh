#!/usr/bin/env bash
# The docs match the code. docs/cli.md documents the command line that sealsvc really
# has: a section for every command of sealsvc/main.c's table (and every seal subcommand),
# every long option each command's parser takes named in that command's section, and no
# option named there that the parser does not take; every command's --help works (exit 0)
# and the global --help names every command. docs/architecture.md names every source file
# of libseal (under its module) and of sealsvc, and no file that does not exist.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

python3 - "$SEAL_SOURCE_DIR" <<'PY' || fail "docs/cli.md and the command line disagree"
import os, re, sys
src = sys.argv[1]
text = open(os.path.join(src, "docs", "cli.md")).read()
sections = {}
for m in re.finditer(r"^## (.+)$", text, re.M):
    rest = text[m.end():]
    nxt = re.search(r"^## ", rest, re.M)
    sections[m.group(1)] = rest[:nxt.start()] if nxt else rest

main = open(os.path.join(src, "sealsvc", "main.c")).read()
table = re.search(r"commands\[\] = \{(.*?)\};", main, re.S).group(1)
commands = dict(re.findall(r'\{"([a-z]+)", (cmd_[a-z]+)\}', table))
problems = []
for name in commands:
    if not any(s == name or s.startswith(name + " ") for s in sections):
        problems.append(f"command '{name}' has no section in docs/cli.md")
seal = open(os.path.join(src, "sealsvc", "cmd_seal.c")).read()
for sub in re.findall(r'strcmp\(sub, "([a-z]+)"\) == 0', seal):
    if not any(s.startswith("seal ") and sub in s for s in sections):
        problems.append(f"'seal {sub}' has no section in docs/cli.md")

# the options each command's file parses: getopt tables, hand-written strcmp parsers, and
# the trusted-time options CLI_TIME_OPTIONS stands for
cli_h = open(os.path.join(src, "sealsvc", "cli.h")).read()
time_block = cli_h.split("#define CLI_TIME_OPTIONS", 1)[1].split("\n\n", 1)[0]
time_options = set(re.findall(r'"([a-z][a-z0-9-]*)", (?:no|required)_argument', time_block))
for name, func in commands.items():
    code = open(os.path.join(src, "sealsvc", func + ".c")).read()
    options = set(re.findall(r'\{"([a-z][a-z0-9-]*)", *(?:no|required|optional)_argument', code))
    options |= set(re.findall(r'strn?cmp\([a-z_\[\]]+, "--([a-z][a-z0-9-]*)=?"', code))
    if "CLI_TIME_OPTIONS" in code:
        options |= time_options
    if "cli_json_flag(" in code:  # the shared parser of a trailing --json (main.c)
        options.add("json")
    if "cli_delete_args(" in code:  # the shared parser of `delete X --reason` (main.c)
        options.add("reason")
    options -= {"help", "data"}  # --help everywhere, --data and --db are global
    doc = "".join(v for k, v in sections.items() if k == name or k.startswith(name + " "))
    # an option of another command named for reference ("see `ltv --archive`") is not one
    # this command claims
    named = set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", re.sub(r"`[a-z]+ --[a-z-]+`", "", doc)))
    for o in sorted(options - named):
        problems.append(f"sealsvc {name} takes --{o}, which docs/cli.md does not name")
    for o in sorted(named - options - {"help", "data", "db", "version"}):
        problems.append(f"docs/cli.md names --{o} for sealsvc {name}, which does not take it")
for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY

# every --help works, and the global one names every command
"$SEALSVC" --help >"$WORK/help.txt" || fail "sealsvc --help exits $?"
commands=$(grep -o '{"[a-z]*", cmd_[a-z]*}' "$SEAL_SOURCE_DIR/sealsvc/main.c" | sed 's/{"\([a-z]*\)".*/\1/')
[ -n "$commands" ] || fail "no commands found in sealsvc/main.c"
for name in $commands; do
    grep -q "^  $name " "$WORK/help.txt" || fail "sealsvc --help does not name '$name'"
    "$SEALSVC" "$name" --help >/dev/null 2>&1 || fail "sealsvc $name --help exits $?"
done
for sub in make list show unlock lock revoke; do
    grep -q "seal .*$sub" "$WORK/help.txt" || fail "sealsvc --help does not name 'seal $sub'"
done
python3 - "$SEAL_SOURCE_DIR" <<'PY' || fail "docs/architecture.md and the source tree disagree"
import glob, os, re, sys
src = sys.argv[1]
doc = open(os.path.join(src, "docs", "architecture.md")).read()
pieces = doc.split("## Pieces", 1)[1].split("```", 2)[1]
modules, current = {}, None
for line in pieces.splitlines():
    m = re.match(r"  ([a-z]+)  +(.*)", line)
    if m and os.path.isdir(os.path.join(src, "libseal", "src", m.group(1))):
        current = m.group(1)
    if line.startswith("sealsvc"):
        current = "sealsvc"
    # a folder of the program ("  http/   ..."): the lines below it, more indented, are its
    sub = re.match(r"  ([a-z]+)/ ", line)
    if current and current.startswith("sealsvc") and sub:
        current = "sealsvc/" + sub.group(1)
    elif current and current.startswith("sealsvc/") and re.match(r"  \S", line):
        current = "sealsvc"
    if current:
        modules.setdefault(current, []).extend(re.findall(r"[\w*]+\.c\b", line))
problems = []
def named(module, name):
    return any(re.fullmatch(p.replace(".", r"\.").replace("*", r"\w*"), name)
               for p in modules.get(module, []))
for path in glob.glob(os.path.join(src, "libseal", "src", "*", "*.c")):
    module = os.path.basename(os.path.dirname(path))
    if not named(module, os.path.basename(path)):
        problems.append(f"libseal/src/{module}/{os.path.basename(path)} is not under '{module}'")
for path in glob.glob(os.path.join(src, "sealsvc", "*.c")) + glob.glob(os.path.join(src, "sealsvc", "*", "*.c")):
    folder = os.path.relpath(os.path.dirname(path), src)
    if not named(folder, os.path.basename(path)):
        problems.append(f"{folder}/{os.path.basename(path)} is not named")
for module, names in modules.items():
    folder = os.path.join(src, module) if module.startswith("sealsvc") else os.path.join(src, "libseal", "src", module)
    for n in names:
        if not glob.glob(os.path.join(folder, n)):
            problems.append(f"docs/architecture.md names {module}/{n}, which does not exist")
for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
echo "docs: ok"

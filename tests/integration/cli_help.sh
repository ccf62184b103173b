#!/usr/bin/env bash
# `sealsvc --help` says what the command line can do: every command of main.c's table
# has its forms there, every sub-command (the ones its code dispatches on and the ones
# its own --help shows) has a form line of its own, and every option a command's --help
# lists is on that command's lines, or the lines say [options] and name the
# `sealsvc COMMAND [SUB] --help` that lists them; no option is named there that the
# command's --help does not list. Each sub-command is also in docs/cli.md, and each
# option of a command's --help in that command's section. The check is run on a help
# text with a form and an option taken out too, and must then complain.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

"$SEALSVC" --help >"$WORK/top.txt" || fail "sealsvc --help exited non-zero"
python3 - "$SEAL_SOURCE_DIR" "$SEALSVC" "$WORK/top.txt" <<'PY' || fail "sealsvc --help leaves something out"
import os, re, subprocess, sys
src, sealsvc, top_path = sys.argv[1:4]
top = open(top_path).read()
main = open(os.path.join(src, "sealsvc", "main.c")).read()
table = re.search(r"commands\[\] = \{(.*?)\};", main, re.S).group(1)
commands = dict(re.findall(r'\{"([a-z]+)", (cmd_[a-z]+)\}', table))
assert len(commands) >= 18, commands
cli_md = open(os.path.join(src, "docs", "cli.md")).read()
sections = {}
for m in re.finditer(r"^## (.+)$", cli_md, re.M):
    rest = cli_md[m.end():]
    nxt = re.search(r"^## ", rest, re.M)
    sections[m.group(1)] = rest[:nxt.start()] if nxt else rest
# Sub-commands whose own --help lists options beyond the command's.
SUB_HELPS = {"seal": ["make"]}
GLOBAL = {"help", "data", "db", "version"}
OPT = r"(?<![\w-])--([a-z][a-z0-9-]*)"

def run_help(*args):
    r = subprocess.run([sealsvc, *args, "--help"], capture_output=True, text=True)
    assert r.returncode == 0, f"sealsvc {' '.join(args)} --help exited {r.returncode}: {r.stderr}"
    # another command named for reference ("serve both with 'sealsvc ocsp --listen ...'")
    return re.sub(r"'sealsvc [^']*'", "", r.stdout)

def words(after):
    """The sub-command words at the start of a usage form's text after the command."""
    found = []
    for token in after.split():
        if token == "|":
            continue
        parts = token.split("|")
        if not all(re.fullmatch(r"[a-z][a-z-]*", p) for p in parts):
            break
        found += parts
    return found

def own_subs(name, help_text):
    code = open(os.path.join(src, "sealsvc", commands[name] + ".c")).read()
    from_code = set(re.findall(r'strcmp\((?:sub|cmd|action|argv\[1\]), "([a-z][a-z-]*)"\)', code))
    from_help = set()
    for line in help_text.splitlines():
        m = re.match(r"^(?:usage:)?\s*sealsvc\b.*?(?<![\w-])" + name + r" (.*)$", line)
        if not m:
            continue
        if m.group(1).startswith("COMMAND"):  # sub-commands listed below, one per line
            from_help |= set(re.findall(r"^  ([a-z][a-z-]*)\b", help_text, re.M))
        else:
            from_help |= set(words(m.group(1)))
    return from_code, from_help

helps = {name: run_help(name) for name in commands}
subs = {}
problems = []
for name, text in helps.items():
    from_code, from_help = own_subs(name, text)
    for s in sorted(from_code - from_help):
        problems.append(f"sealsvc {name} --help has no form for '{name} {s}', which the code takes")
    subs[name] = from_code | from_help
    for s in sorted(subs[name]):
        if not re.search(r"\b" + name + r" (?:[a-z-]+\|)*" + s + r"\b", cli_md):
            problems.append(f"docs/cli.md never shows '{name} {s}'")
    doc = "".join(v for k, v in sections.items() if k == name or k.startswith(name + " "))
    for o in sorted(set(re.findall(OPT, text)) - GLOBAL):
        if "--" + o not in doc:
            problems.append(f"sealsvc {name} --help lists --{o}, which its docs/cli.md section does not")

def check(top):
    """What the top-level help leaves out or invents."""
    problems = []
    blocks, current = {}, None
    for line in top.splitlines():
        m = re.match(r"^  ([a-z]+)\b", line)
        if m and m.group(1) in commands:
            current = m.group(1)
            blocks.setdefault(current, {"forms": [], "text": ""})
            blocks[current]["forms"].append(line[2:])
            blocks[current]["text"] += line + "\n"
        elif current and line.startswith("    "):
            blocks[current]["text"] += line + "\n"
        else:
            current = None
    for name in commands:
        if name not in blocks:
            problems.append(f"command '{name}' is not in sealsvc --help")
            continue
        block = blocks[name]["text"]
        shown = set()
        for form in blocks[name]["forms"]:
            for alt in form.split(" | "):
                alt = alt.strip()
                if alt.startswith(name + " "):
                    shown |= set(words(alt[len(name) + 1:]))
        for s in sorted(subs[name] - shown):
            problems.append(f"sealsvc --help has no form for '{name} {s}'")
        listed = set(re.findall(OPT, block))
        options = set(re.findall(OPT, helps[name]))
        pointer = "[options]" in block and re.search(r"sealsvc " + name + r" --help", block)
        for sub in SUB_HELPS.get(name, []):
            sub_options = set(re.findall(OPT, run_help(name, sub)))
            options |= sub_options
            sub_pointer = "[options]" in block and f"sealsvc {name} {sub} --help" in block
            for o in sorted(sub_options - listed - GLOBAL):
                if not sub_pointer:
                    problems.append(f"sealsvc --help's {name} {sub} lacks --{o} and a pointer to "
                                    f"'sealsvc {name} {sub} --help'")
            options -= sub_options - set(re.findall(OPT, helps[name]))
        for o in sorted(options - listed - GLOBAL):
            if not pointer:
                problems.append(f"sealsvc --help's {name} lines lack --{o} (and have no [options] "
                                f"with 'sealsvc {name} --help')")
        every = set(re.findall(OPT, helps[name]))
        for sub in SUB_HELPS.get(name, []):
            every |= set(re.findall(OPT, run_help(name, sub)))
        for o in sorted(listed - every - GLOBAL):
            problems.append(f"sealsvc --help names --{o} for {name}, which its --help does not list")
    return problems

problems += check(top)
for p in problems:
    print(p, file=sys.stderr)
if problems:
    sys.exit(1)
# the check can fail: a form taken out, an option taken out, a command taken out
for cut, want in ((r"^  stamp pending.*\n", "stamp pending"), (r" \[--certify 1\|2\|3\]", "--certify"),
                  (r"^  grant require.*\n", "grant require"), (r"^  retention .*\n(    .*\n)*", "'retention'")):
    damaged = re.sub(cut, "", top, count=1, flags=re.M)
    assert damaged != top, cut
    found = check(damaged)
    assert any(want in p for p in found), f"taking out {want} goes unnoticed: {found}"
print("sealsvc --help lists every command, form and option")
PY

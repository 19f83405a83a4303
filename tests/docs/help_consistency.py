#!/usr/bin/env python3
"""Help, usage and man page agree (issue 16).

For every subcommand listed by `sourcegate --help` (and the sub-subcommands of attest and
cache), the options of its option table -- printed under "Options:" by `COMMAND --help` --
must each appear
  1. in the command's usage lines (the "usage:" block of `COMMAND --help`), and
  2. in the man page: in that command's SYNOPSIS entry and as an item (.TP) of the man page,
and every option named in the usage lines or the man page's SYNOPSIS entry must exist in the
table. Prints every disagreement, one per line, and exits 1 when there is any.

usage: help_consistency.py SOURCEGATE MANPAGE
"""
import re
import subprocess
import sys

OPT = re.compile(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*|-[a-zA-Z])(?![\w-])")
IGNORED = {"-h", "--help"}


def run_help(cli, words):
    p = subprocess.run([cli] + words + ["--help"], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    if p.returncode != 0:
        raise SystemExit(f"'{' '.join(words)} --help' exited {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def split_help(text, sub):
    """(usage text of the command, its option table as a list of alias tuples).
    A command with sub-commands prints one table per sub-command ("Options of verify:")."""
    usage, table, part = [], [], "usage"
    for line in text.splitlines():
        if part == "usage":
            if not line.strip():
                part = "prose"
                continue
            # "usage: sourcegate attest verify ..." / "       sourcegate attest policy ...":
            # keep the lines of this sub-command (and their continuations)
            m = re.match(r"\s*(?:usage:)?\s*sourcegate (\w+)(?: (\w+))?", line)
            if m:
                keep = not sub or m.group(2) == sub
            if keep:
                usage.append(line)
        elif line.startswith("Options:") or line == f"Options of {sub}:":
            part = "table"
        elif line.startswith("Options of "):
            part = "other"
        elif part == "table" and line.startswith("  "):
            head = line.strip()
            if head.startswith("-"):
                # "-o, --output FILE   text": the option names before the description
                names = re.split(r"\s{2,}", head)[0]
                group = tuple(o for o in OPT.findall(names) if o not in IGNORED)
                if group:
                    table.append(group)
        elif part == "table" and not line.strip():
            part = "prose"
    return "\n".join(usage), table


def man_text(path):
    with open(path, encoding="utf-8") as f:
        # unescape dashes, drop font changes (\fB \fI \fR \fP)
        return re.sub(r"\\f[BIRP]", " ", f.read().replace("\\-", "-"))


def synopsis_entries(man):
    """{'verify': text, 'attest verify': text, ...}: each SYNOPSIS entry, joined."""
    m = re.search(r"^\.SH SYNOPSIS\n(.*?)^\.SH ", man, re.S | re.M)
    entries = {}
    for chunk in m.group(1).split(".br\n"):
        words = re.sub(r"^\.[A-Z]+ ?", "", chunk, flags=re.M).replace('"', "")
        head = re.match(r"\s*sourcegate ((?:[a-z]+)(?: (?:verify|policy|prune|list))?)", words)
        if head:
            name = head.group(1)
            entries[name] = entries.get(name, "") + " " + words
    return entries


def man_items(man):
    """The options that head an item (.TP) anywhere in the man page."""
    items = set()
    for m in re.finditer(r"^\.TP\n(.*)$", man, re.M):
        items.update(OPT.findall(m.group(1)))
    return items


def commands(cli):
    text = run_help(cli, [])
    names, in_list = [], False
    for line in text.splitlines():
        if line.startswith("Commands:"):
            in_list = True
        elif in_list and line.startswith("  "):
            names.append(line.split()[0])
        elif in_list and not line.strip():
            break
    out = []
    for n in names:
        if n == "attest":
            out += [["attest", "verify"], ["attest", "policy"]]
        elif n == "cache":
            out.append(["cache", "prune"])
        elif n == "stage":
            out.append(["stage", "list"])
        else:
            out.append([n])
    return out


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.strip().splitlines()[-1])
    cli, manpage = sys.argv[1], sys.argv[2]
    man = man_text(manpage)
    synopsis, items = synopsis_entries(man), man_items(man)
    problems = []
    for words in commands(cli):
        name = " ".join(words)
        usage, table = split_help(run_help(cli, words[:1]), words[1] if len(words) > 1 else None)
        if not table:
            problems.append(f"{name}: no option table found in its --help")
        known = {o for group in table for o in group}
        usage_opts = set(OPT.findall(usage)) - IGNORED
        entry = synopsis.get(name)
        if entry is None:
            problems.append(f"{name}: no SYNOPSIS entry in the man page")
            entry = ""
        entry_opts = set(OPT.findall(entry)) - IGNORED
        for group in table:
            shown = "/".join(group)
            if not usage_opts.intersection(group):
                problems.append(f"{name}: {shown} is in the option table but not in the usage lines")
            if not entry_opts.intersection(group):
                problems.append(f"{name}: {shown} is missing from the man page's SYNOPSIS entry")
            if not items.intersection(group):
                problems.append(f"{name}: {shown} has no item (.TP) in the man page")
        for o in sorted(usage_opts - known):
            problems.append(f"{name}: {o} is in the usage lines but not an option")
        for o in sorted(entry_opts - known):
            problems.append(f"{name}: {o} is in the man page's SYNOPSIS but not an option")
    if len(commands(cli)) < 8:
        problems.append("fewer than 8 commands found in 'sourcegate --help'")
    for p in problems:
        print(p)
    print(f"help_consistency: {len(problems)} disagreement(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

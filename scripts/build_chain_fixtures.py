#!/usr/bin/env python3
"""Writes tests/fixtures/corpus/command_chain.jsonl: commands with no shell
syntax that still run a shell, inline code or a command string somewhere in
their chain (attack), and plain commands of the same programs (benign).

Usage: python3 scripts/build_chain_fixtures.py

Attack lines restate techniques catalogued by GTFOBins
(https://gtfobins.github.io, GPL-3.0) in its "Shell" and "Command"
functions, as facts about each program (which option runs what), written
anew here and combined with the wrappers that hand a command on; each
line's note names the GTFOBins entry. Benign lines are everyday commands in
the style of the nl2bash corpus (Lin et al., 2018), written for this file.
All lines are generated (CC0).
"""

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "corpus" / "command_chain.jsonl"

# (GTFOBins entry, command) — each runs a shell or a command string.
TECHNIQUES = [
    ("awk", "awk 'BEGIN {system(\"/bin/sh\")}'"),
    ("awk", "gawk 'BEGIN { cmd = \"id\"; cmd | getline out; print out }'"),
    ("busybox", "busybox sh"),
    ("busybox", "busybox ash -c id"),
    ("capsh", "capsh --"),
    ("chroot", "chroot /"),
    ("cpulimit", "cpulimit -l 100 -f /bin/sh"),
    ("docker", "docker run -v /:/mnt --rm -it alpine chroot /mnt sh"),
    ("docker", "docker run --rm --entrypoint sh alpine -c id"),
    ("env", "env /bin/sh"),
    ("env", "env -i sh -c id"),
    ("expect", "expect -c 'spawn /bin/sh;interact'"),
    ("find", "find . -exec /bin/sh \\; -quit"),
    ("find", "find . -name x -execdir sh -c id {} +"),
    ("flock", "flock -u / /bin/sh"),
    ("gdb", "gdb -nx -ex '!sh' -ex quit"),
    ("git", "git -c core.pager='sh -c id' -p help"),
    ("git", "git -c core.sshCommand=id fetch origin"),
    ("git", "git -c alias.x='!id' x"),
    ("git", "git -c core.fsmonitor=id status"),
    ("git", "git submodule foreach id"),
    ("ionice", "ionice /bin/sh"),
    ("ltrace", "ltrace -b -L /bin/sh"),
    ("logsave", "logsave /dev/null /bin/sh -i"),
    ("lua", "lua -e 'os.execute(\"/bin/sh\")'"),
    ("make", "make -s --eval='x:' x"),
    ("man", "man -P id man"),
    ("multitime", "multitime /bin/sh"),
    ("nice", "nice /bin/sh"),
    ("node", "node -e 'require(\"child_process\").spawn(\"/bin/sh\")'"),
    ("nohup", "nohup /bin/sh -c id"),
    ("npm", "npm exec /bin/sh"),
    ("nsenter", "nsenter /bin/sh"),
    ("perl", "perl -e 'exec \"/bin/sh\";'"),
    ("php", "php -r 'system(\"/bin/sh\");'"),
    ("python", "python -c 'import os; os.system(\"/bin/sh\")'"),
    ("python", "python3 -c 'import pty; pty.spawn(\"/bin/sh\")'"),
    ("rlwrap", "rlwrap /bin/sh"),
    ("rsync", "rsync -e 'sh -c \"sh 0<&2 1>&2\"' 127.0.0.1:/dev/null"),
    ("ruby", "ruby -e 'exec \"/bin/sh\"'"),
    ("run-parts", "run-parts --new-session --regex '^sh$' /bin"),
    ("script", "script -q /dev/null"),
    ("sed", "sed -n '1e exec sh 1>&0' /etc/hosts"),
    ("setsid", "setsid /bin/sh"),
    ("ssh", "ssh -o ProxyCommand=';sh 0<&2 1>&2' x"),
    ("ssh", "ssh localhost id"),
    ("start-stop-daemon", "start-stop-daemon -n x -S -x /bin/sh"),
    ("stdbuf", "stdbuf -i0 /bin/sh"),
    ("strace", "strace -o /dev/null /bin/sh"),
    ("tar", "tar -cf /dev/null /dev/null --checkpoint=1 --checkpoint-action=exec=/bin/sh"),
    ("tar", "tar xf /dev/null -I '/bin/sh -c \"sh <&2 1>&2\"'"),
    ("taskset", "taskset 1 /bin/sh"),
    ("time", "time /bin/sh"),
    ("timeout", "timeout 7d /bin/sh"),
    ("unshare", "unshare /bin/sh"),
    ("valgrind", "valgrind /bin/sh"),
    ("vim", "vim -c ':!/bin/sh'"),
    ("watch", "watch -x sh -c 'reset; exec sh 1>&0 2>&0'"),
    ("xargs", "xargs -a /dev/null sh"),
    ("zip", "zip x.zip /etc/hosts -T -TT 'sh #'"),
]

# Wrappers that hand their command on, prefixed to the shell techniques.
WRAPPERS = ["env", "nice -n 5", "timeout 30", "nohup", "stdbuf -oL", "setsid", "xargs -0", "uv run",
            "poetry run", "time -p"]
PAYLOADS = ["sh -c id", "bash -c 'id'", "/bin/dash", "python3 -c 'print(1)'", "perl -e 'print 1'",
            "busybox sh", "node -e 1", "find . -exec sh -c id \\;"]

BENIGN = [
    "find . -type f -name '*.txt' -mtime -7",
    "find . -name '*.pyc' -delete",
    "find . -type d -empty -exec rmdir {} +",
    "find src -name '*.rs' -exec wc -l {} +",
    "find . -maxdepth 2 -type f -size +1M",
    "grep -rn 'TODO' --include='*.py' .",
    "grep -c error app.log",
    "grep -E 'warn|error' app.log",
    "tar -tzf archive.tar.gz",
    "tar -czf logs.tgz logs",
    "tar -xzf release.tar.gz -C build",
    "sort -u names.txt",
    "sort -t, -k2 -n data.csv",
    "wc -l README.md",
    "head -n 20 app.log",
    "tail -n 50 app.log",
    "cut -d, -f2 data.csv",
    "xargs -n1 echo",
    "xargs -0 -I{} cp {} backup/",
    "git diff --stat HEAD~3",
    "git log --author=alice --since=2.weeks --oneline",
    "git -c color.ui=always log --oneline -10",
    "git show HEAD:README.md",
    "git blame -L 10,20 src/lib.rs",
    "git clone --depth 1 https://github.com/rust-lang/log",
    "rsync -avz --delete src/ backup/",
    "rsync -a --exclude target ./ ../mirror/",
    "curl -fsSL https://example.com/install.txt -o install.txt",
    "curl -s -H 'Accept: application/json' https://api.example.com/v1/items",
    "wget -q -O page.html https://example.com/",
    "awk -F: '{print $1}' users.txt",
    "awk 'NR > 1 {sum += $3} END {print sum}' data.tsv",
    "awk '/ERROR|WARN/ {n++} END {print n}' app.log",
    "sed -i 's/foo/bar/g' config.ini",
    "sed -n '/start/,/end/p' notes.md",
    "sed -e 's/^ *//' -e 's/ *$//' list.txt",
    "python3 manage.py migrate",
    "python -m http.server 8000",
    "node scripts/build.js --minify",
    "perl scripts/gen.pl input.txt",
    "ruby bin/setup",
    "make -j4 all",
    "make install PREFIX=out",
    "cargo build --release",
    "cargo test -p guard-runtime --lib",
    "npm ci",
    "npm run lint",
    "npx prettier --check src",
    "docker build -t app .",
    "docker run --rm -v ./out:/out app",
    "docker ps -a",
    "kubectl logs deploy/api --tail=100",
    "kubectl get pods -n staging",
    "ssh -i deploy.pem user@example.com",
    "scp build.tgz host:/tmp/",
    "zip -r site.zip public",
    "unzip -l site.zip",
    "timeout 30 make test",
    "nice -n 10 tar -czf logs.tgz logs",
    "env TZ=UTC date",
    "env -u DEBUG cargo run",
    "uv run pytest -x tests",
    "poetry run pytest",
    "stdbuf -oL python3 worker.py",
    "strace -c ls",
    "watch -n 5 -x ls -l",
    "du -sh build",
    "ls -la docs",
    "cat package.json",
    "jq .name package.json",
    "diff -u old.txt new.txt",
    "sha256sum release.tar.gz",
    "chmod 644 notes.md",
    "mkdir -p out/reports",
    "cp -r templates out/",
    "mv draft.md docs/final.md",
    "rm -rf target",
    "sqlite3 app.db 'SELECT count(*) FROM users'",
    "psql -c 'SELECT 1'",
    "pip install -r requirements.txt",
    "pip download --no-deps -d wheels requests",
    "go test ./...",
    "busybox wc -l notes.md",
]


def main():
    rows = []
    for entry, command in TECHNIQUES:
        rows.append({"value": command, "label": "attack",
                     "source": f"generated:after GTFOBins {entry} (gtfobins.github.io, GPL-3.0)",
                     "note": f"runs a shell or command string ({entry})"})
    for wrapper in WRAPPERS:
        for payload in PAYLOADS:
            rows.append({"value": f"{wrapper} {payload}", "label": "attack",
                         "source": "generated:wrapper+payload",
                         "note": f"`{wrapper.split()[0]}` hands on `{payload.split()[0]}`"})
    for command in BENIGN:
        rows.append({"value": command, "label": "benign", "source": "generated:nl2bash-style",
                     "note": "plain argv"})
    seen = set()
    rows = [r for r in rows if not (r["value"] in seen or seen.add(r["value"]))]
    header = [
        "# guard test fixture: commands judged by the chain check (see scripts/build_chain_fixtures.py).",
        "# attack: a shell, inline interpreter code or a command-string option runs somewhere in the",
        "# chain, without any shell syntax. Techniques after GTFOBins (https://gtfobins.github.io,",
        "# GPL-3.0), restated; benign lines in the style of nl2bash (Lin et al., 2018). Generated, CC0.",
    ]
    OUT.write_text("\n".join(header + [json.dumps(r) for r in rows]) + "\n")
    attacks = sum(r["label"] == "attack" for r in rows)
    print(f"{OUT.relative_to(ROOT)}: {attacks} attack, {len(rows) - attacks} benign")


if __name__ == "__main__":
    main()
